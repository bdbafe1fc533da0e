// Lists arrive either as a bare array or as a cursor page ({items, next_cursor}); the
// settings pages read the first page either way, so they survive the move to pages.
export type ListOf<T> = T[] | { items: T[]; next_cursor?: string | null };

export function itemsOf<T>(list: ListOf<T> | undefined): T[] {
  if (!list) return [];
  return Array.isArray(list) ? list : list.items;
}
