// The typed client of the gateway's /v1 API. Types come from schema.d.ts, generated
// from the gateway's OpenAPI document before every build, type check and test (npm run
// gen:api; the file is not tracked), so a renamed field or route
// fails the type check instead of failing in a user's browser.
import createClient, { type Middleware } from "openapi-fetch";
import type { components, paths } from "./schema";

export type Schemas = components["schemas"];

/** The session's CSRF token (double submit): kept in memory, never in storage. */
let csrfToken: string | null = null;
export function setCsrfToken(token: string | null): void {
  csrfToken = token;
}

const SAFE = new Set(["GET", "HEAD", "OPTIONS"]);
export const CSRF_HEADER = "X-CSRF-Token";

const csrf: Middleware = {
  onRequest({ request }) {
    if (!SAFE.has(request.method) && csrfToken) request.headers.set(CSRF_HEADER, csrfToken);
    return request;
  },
};

export function csrfHeaders(): Record<string, string> {
  return csrfToken ? { [CSRF_HEADER]: csrfToken } : {};
}

export const api = createClient<paths>({
  baseUrl: typeof window === "undefined" ? "http://localhost" : window.location.origin,
  credentials: "same-origin",
  // looked up per request, not captured at load, so tests can stand a server in
  fetch: (request: Request) => globalThis.fetch(request),
});
api.use(csrf);

/** An error the API answered: `{"error": {"code", "message"}}` with its status. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = "ApiError";
  }
}

export function toApiError(status: number, body: unknown): ApiError {
  const err = (body as { error?: { code?: string; message?: string } } | undefined)?.error;
  return new ApiError(
    status,
    err?.code ?? "error",
    err?.message ?? `the server answered ${status}`,
  );
}

/** The data of an openapi-fetch result, or its error thrown as an ApiError. */
export async function unwrap<T>(
  pending: Promise<{ data?: T; error?: unknown; response: Response }>,
): Promise<T> {
  const { data, error, response } = await pending;
  if (!response.ok) throw toApiError(response.status, error);
  return data as T;
}
