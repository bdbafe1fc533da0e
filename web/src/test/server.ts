// A stand-in for the gateway in unit tests: answers fetch() by method and path.
import { vi } from "vitest";

type Handler = (request: Request) => Response | Promise<Response>;

export function json(body: unknown, status = 200): Response {
  return new Response(JSON.stringify(body), { status, headers: { "content-type": "application/json" } });
}

export function standIn(routes: Record<string, Handler>) {
  const seen: Request[] = [];
  vi.stubGlobal(
    "fetch",
    vi.fn(async (input: Request) => {
      seen.push(input.clone());
      const url = new URL(input.url);
      const handler = routes[`${input.method} ${url.pathname}`];
      return handler ? handler(input) : json({ error: { code: "not_found", message: "no route" } }, 404);
    }),
  );
  return seen;
}

export const ME = {
  id: "u1",
  name: "Rita Rep",
  email: "rita@seller.example",
  role: "owner",
  manager_id: null,
  created_at: "2026-12-01T00:00:00Z",
  organization: { id: "o1", name: "Seller Inc", deletion_requested_at: null },
  team_user_ids: [],
};
