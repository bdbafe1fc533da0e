// Every list of the API is a cursor page: `limit` and `cursor` in, `{items, next_cursor}`
// out. Settings pages and the rep filter show whole lists (members, invitations, API keys,
// trackers: tens of rows), so they follow `next_cursor` to the end, PAGE_LIMIT at a time.
import { api, unwrap, type Schemas } from "./client";

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

/** The organization's members, for ["members"] queries (the same data on every page). */
export function allMembers(): Promise<Schemas["MemberOut"][]> {
  return allItems((cursor) => unwrap(api.GET("/v1/members", { params: { query: { limit: PAGE_LIMIT, cursor } } })));
}
