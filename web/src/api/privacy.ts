// The privacy center's side of the API: data-subject requests, their acknowledgements,
// the signed erasure certificate and the export bundle. The gateway forwards to the
// privacy service; who may ask about whom is decided there, never here.
import { api, unwrap, type Schemas } from "./client";

export type PrivacyRequest = Schemas["PrivacyRequestOut"];
export type Acknowledgement = Schemas["Acknowledgement"];
export type Subject = Schemas["PrivacyRequestIn"]["subject"];
export type RequestKind = "export" | "erasure" | "restriction" | "objection";

export const KIND_LABEL: Record<string, string> = {
  export: "Export",
  erasure: "Erasure",
  restriction: "Restriction",
  objection: "Objection",
  rectification: "Rectification",
  account_purge: "Account deletion",
};

export const REQUEST_STATUS_LABEL: Record<string, string> = {
  pending: "Pending",
  in_progress: "In progress",
  completed: "Completed",
  failed: "Failed",
};

/** Whether the request will not move any more (the page stops polling then). */
export function settled(request: Pick<PrivacyRequest, "status"> | undefined): boolean {
  return request?.status === "completed" || request?.status === "failed";
}

/** "user u-1", "participant p-9", "organization": how a request names its subject. */
export function subjectLabel(request: PrivacyRequest, myId?: string): string {
  const subject = request.subject;
  if (!subject) return "–";
  if (subject.type === "user" && subject.id && subject.id === myId) return "You";
  return subject.id && subject.type !== "organization" ? `${subject.type} ${subject.id}` : subject.type;
}

/** POST one of the four requests; the answer holds the new request's id. */
export async function makeRequest(
  kind: RequestKind,
  subject: Subject,
  options: { include_audio?: boolean; restricted?: boolean; objected?: boolean } = {},
): Promise<{ id: string; status?: string | null }> {
  switch (kind) {
    case "export":
      return unwrap(api.POST("/v1/privacy/export", { body: { subject, include_audio: options.include_audio ?? false } }));
    case "erasure":
      return unwrap(api.POST("/v1/privacy/erasure", { body: { subject } }));
    case "restriction":
      return (await unwrap(
        api.POST("/v1/privacy/restriction", { body: { subject, restricted: options.restricted ?? true } }),
      )) as { id: string };
    case "objection":
      return (await unwrap(
        api.POST("/v1/privacy/objection", { body: { subject, objected: options.objected ?? true } }),
      )) as { id: string };
  }
}

/** Saves a JSON document as a file through a temporary object URL (no navigation). */
export function saveJson(document: unknown, filename: string): void {
  const blob = new Blob([JSON.stringify(document, null, 2) + "\n"], { type: "application/json" });
  const url = URL.createObjectURL(blob);
  const link = window.document.createElement("a");
  link.href = url;
  link.download = filename;
  window.document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 0);
}

/** The signed certificate of a completed erasure, saved as `erasure-<id>.json`: the file
 * `clashtor-ops verify-certificate` checks offline against the published key. */
export async function downloadCertificate(requestId: string): Promise<void> {
  const certificate = await unwrap(
    api.GET("/v1/privacy/requests/{request_id}/certificate", { params: { path: { request_id: requestId } } }),
  );
  saveJson(certificate, `erasure-${requestId}.json`);
}
