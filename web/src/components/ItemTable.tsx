// A list as a table: one row an item, its cells, and (with `action`) one named button at
// the end of the row (Delete, Revoke, Remove …) that screen readers hear with the item's name.
import type { ReactNode } from "react";
import { TableHead } from "./TableHead";

export interface RowAction {
  label: string;
  /** The accessible name when the visible label alone is ambiguous (it starts with the label). */
  name?: string;
  onClick: () => unknown;
  disabled?: boolean;
}

export function ItemTable<T extends { id: string }>(props: {
  columns: string[];
  items: T[];
  cells: (item: T) => ReactNode[];
  action?: (item: T) => RowAction | null;
}) {
  return (
    <table>
      <TableHead columns={props.columns} actions={Boolean(props.action)} />
      <tbody>
        {props.items.map((item) => {
          const action = props.action?.(item);
          return (
            <tr key={item.id}>
              {props.cells(item).map((cell, n) => (
                <td key={n}>{cell}</td>
              ))}
              {props.action && (
                <td>
                  {action && (
                    <button
                      type="button"
                      className="secondary small"
                      aria-label={action.name}
                      disabled={action.disabled}
                      onClick={() => action.onClick()}
                    >
                      {action.label}
                    </button>
                  )}
                </td>
              )}
            </tr>
          );
        })}
      </tbody>
    </table>
  );
}
