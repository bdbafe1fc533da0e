import { describe, expect, it } from "vitest";
import { json, standIn } from "../test/server";
import { allItems, allOf, type Page } from "./lists";

describe("allItems", () => {
  it("follows next_cursor to the last page", async () => {
    const pages: Record<string, Page<number>> = {
      start: { items: [1, 2], next_cursor: "a" },
      a: { items: [3, 4], next_cursor: "b" },
      b: { items: [5], next_cursor: null },
    };
    const asked: (string | undefined)[] = [];
    const items = await allItems(async (cursor) => (asked.push(cursor), pages[cursor ?? "start"]!));
    expect(items).toEqual([1, 2, 3, 4, 5]);
    expect(asked).toEqual([undefined, "a", "b"]);
  });

  it("stops after a bounded number of pages if a cursor never ends", async () => {
    let calls = 0;
    const items = await allItems(async () => (calls++, { items: [0], next_cursor: "again" }));
    expect(calls).toBe(50);
    expect(items).toHaveLength(50);
  });
});

describe("allOf", () => {
  it("reads a whole list of the API, PAGE_LIMIT items a page, cursor after cursor", async () => {
    const seen = standIn({
      "GET /v1/api-keys": (request) =>
        new URL(request.url).searchParams.get("cursor")
          ? json({ items: [{ id: "k3" }], next_cursor: null })
          : json({ items: [{ id: "k1" }, { id: "k2" }], next_cursor: "c1" }),
    });
    const keys = await allOf("/v1/api-keys");
    expect(keys.map((k) => k.id)).toEqual(["k1", "k2", "k3"]);
    expect(seen.map((r) => new URL(r.url).search)).toEqual(["?limit=200", "?limit=200&cursor=c1"]);
  });
});
