// The upload goes through XMLHttpRequest, not fetch: only XHR reports how many bytes of
// the request body have been sent (upload.onprogress), which the progress bar shows.
import type { UploadLanguage } from "../lib/languages";
import { CSRF_HEADER, csrfHeaders, toApiError, type ApiError, type Schemas } from "./client";

export interface UploadInput {
  file: File;
  title: string;
  /** "auto" (or absent): transcription detects the language. */
  language?: UploadLanguage;
  participants: { name?: string; email?: string; role: "rep" | "customer" }[];
}

export type Accepted = Schemas["AcceptedOut"] & { status?: string };

export function uploadCall(
  input: UploadInput,
  onProgress: (sent: number, total: number) => void,
): { done: Promise<Accepted>; abort: () => void } {
  const form = new FormData();
  form.append("file", input.file);
  if (input.title.trim()) form.append("title", input.title.trim());
  if (input.language && input.language !== "auto") form.append("language", input.language);
  // a plain text part (a Blob would arrive as a second file named "blob")
  form.append("participants", JSON.stringify(input.participants));
  const xhr = new XMLHttpRequest();
  const done = new Promise<Accepted>((resolve, reject) => {
    xhr.open("POST", "/v1/calls");
    xhr.withCredentials = true;
    const token = csrfHeaders()[CSRF_HEADER];
    if (token) xhr.setRequestHeader(CSRF_HEADER, token);
    xhr.responseType = "json";
    xhr.upload.onprogress = (e) => onProgress(e.loaded, e.lengthComputable ? e.total : input.file.size);
    xhr.onload = () => {
      if (xhr.status >= 200 && xhr.status < 300) resolve(xhr.response as Accepted);
      else reject(toApiError(xhr.status, xhr.response) satisfies ApiError);
    };
    xhr.onerror = () => reject(toApiError(0, { error: { code: "network", message: "the upload was interrupted; try again" } }));
    xhr.onabort = () => reject(toApiError(0, { error: { code: "aborted", message: "upload cancelled" } }));
    xhr.send(form);
  });
  return { done, abort: () => xhr.abort() };
}
