/** The options of a select, from a value → label record (the order of the record). */
export function Options({ choices }: { choices: Record<string, string> }) {
  return (
    <>
      {Object.entries(choices).map(([value, label]) => (
        <option key={value} value={value}>
          {label}
        </option>
      ))}
    </>
  );
}
