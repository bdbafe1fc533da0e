// Turns an API error into messages beside the fields it is about, so a form can show
// "Password: at least 10 characters" under the password box rather than in a banner.
import { ApiError } from "../api/client";

export interface FormErrors {
  fields: Record<string, string>;
  general?: string;
}

/** Error codes that name one field although the message does not say `body.<field>`. */
const CODE_FIELDS: Record<string, string> = {
  email_taken: "email",
  invalid_email: "email",
  weak_password: "password",
  invalid_credentials: "password",
  // uploads (ingest's codes, and the gateway's size limit)
  bad_upload: "file",
  empty_file: "file",
  file_too_large: "file",
  payload_too_large: "file",
  call_too_long: "file",
  unsupported_media_type: "file",
  undecodable_audio: "file",
  invalid_participants: "participants",
  // a webhook's URL that is not a public http(s) address
  target_refused: "url",
};

export function formErrors(error: unknown, fields: readonly string[]): FormErrors {
  if (!(error instanceof ApiError)) {
    return { fields: {}, general: "Could not reach Clashtor. Check your connection and try again." };
  }
  const found: Record<string, string> = {};
  const mapped = CODE_FIELDS[error.code];
  if (mapped && fields.includes(mapped)) return { fields: { [mapped]: error.message } };
  if (error.code === "validation_error") {
    const rest: string[] = [];
    for (const part of error.message.split("; ")) {
      // body.<field>…, or body.<variant>.<field>… for a tagged union (a Slack rule's kind)
      const match = /^body\.([a-z_]+)(?:\.([a-z_]+))?[^:]*: (.*)$/.exec(part);
      const field = [match?.[1], match?.[2]].find((name) => name && fields.includes(name));
      if (field && match?.[3]) found[field] ??= match[3];
      else rest.push(part);
    }
    if (Object.keys(found).length > 0) {
      return rest.length ? { fields: found, general: rest.join("; ") } : { fields: found };
    }
  }
  return { fields: {}, general: error.message };
}
