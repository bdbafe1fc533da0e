// A secret the server answers once (an API key, a webhook's signing secret): shown with
// what it is, a copy button, and the warning that it will not be shown again.
import { useState, type ReactNode } from "react";

export function ShownOnce(props: { label: string; secret: string; testId?: string; children?: ReactNode }) {
  const [copied, setCopied] = useState<"yes" | "no" | null>(null);
  async function copy() {
    try {
      await navigator.clipboard.writeText(props.secret);
      setCopied("yes");
    } catch {
      setCopied("no"); // no clipboard (insecure origin, refused): the text stays selectable
    }
  }
  return (
    <div className="flash" role="group" aria-label={props.label}>
      {props.children}
      <code className="secret" data-testid={props.testId}>
        {props.secret}
      </code>
      <p className="secret-actions">
        <button type="button" className="secondary small" onClick={copy}>
          Copy {props.label.toLowerCase()}
        </button>
        <span role="status">
          {copied === "yes" ? "Copied." : copied === "no" ? "Copying is not allowed here: select the text and copy it." : ""}
        </span>
      </p>
    </div>
  );
}
