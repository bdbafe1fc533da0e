import { render, screen } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { useState } from "react";
import { Field } from "./Field";

function Named({ changes }: { changes: string[] }) {
  const [name, setName] = useState("");
  return <Field label="Name" value={name} onValue={setName} onChange={(e) => changes.push(e.target.value)} />;
}

test("onValue keeps the typed text, and an onChange given too still hears every change", async () => {
  const changes: string[] = [];
  render(<Named changes={changes} />);
  await userEvent.type(screen.getByLabelText("Name"), "Ada");
  expect(screen.getByLabelText("Name")).toHaveValue("Ada");
  expect(changes).toEqual(["A", "Ad", "Ada"]);
});
