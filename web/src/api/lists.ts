// Every list of the API is a cursor page: `limit` and `cursor` in, `{items, next_cursor}`
// out. Settings pages and the rep filter show whole lists (members, invitations, API keys,
// trackers: tens of rows), so they follow `next_cursor` to the end, PAGE_LIMIT at a time.
import { api, unwrap, type Schemas } from "./client";
import type { paths } from "./schema";

export interface Page<T> {
  items: T[];
  next_cursor?: string | null;
}

export const PAGE_LIMIT = 200;
const MAX_PAGES = 50;

/** Every item of a list, page after page (at most MAX_PAGES pages). */
export async function allItems<T>(page: (cursor: string | undefined) => Promise<Page<T>>): Promise<T[]> {
  const items: T[] = [];
  let cursor: string | undefined;
  for (let n = 0; n < MAX_PAGES; n++) {
    const got = await page(cursor);
    items.push(...got.items);
    if (!got.next_cursor) break;
    cursor = got.next_cursor;
  }
  return items;
}

/** The lists read whole: their query is `limit` and `cursor` only. */
export type WholeList =
  | "/v1/members"
  | "/v1/invitations"
  | "/v1/api-keys"
  | "/v1/trackers"
  | "/v1/webhooks"
  | "/v1/integrations/slack/rules";
type ItemOf<P extends WholeList> = paths[P]["get"]["responses"][200]["content"]["application/json"]["items"][number];

/** Every item of the list at `path`, PAGE_LIMIT at a time. */
export function allOf<P extends WholeList>(path: P): Promise<ItemOf<P>[]> {
  return allItems(
    (cursor) =>
      unwrap(api.GET(path as WholeList, { params: { query: { limit: PAGE_LIMIT, cursor } } })) as Promise<Page<ItemOf<P>>>,
  );
}

/** The organization's members, for ["members"] queries (the same data on every page). */
export function allMembers(): Promise<Schemas["MemberOut"][]> {
  return allOf("/v1/members");
}
