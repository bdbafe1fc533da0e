import { describe, expect, it } from "vitest";
import { bodyOf, canReview, textOf } from "./comments";

describe("comment bodies", () => {
  it("puts the text first and each picked person once as a mention", () => {
    expect(bodyOf(" Great question ", ["u1", "u1", "u2"]).segments).toEqual([
      { type: "text", text: "Great question" },
      { type: "text", text: " " },
      { type: "mention", user_id: "u1" },
      { type: "text", text: " " },
      { type: "mention", user_id: "u2" },
    ]);
  });

  it("a mention alone is a body, without a leading space", () => {
    expect(bodyOf("  ", ["u1"]).segments).toEqual([{ type: "mention", user_id: "u1" }]);
  });

  it("shows mentions by name, an erased one as a removed user, a removed comment as such", () => {
    const body = {
      segments: [
        { type: "text" as const, text: "Ask ", user_id: null, name: null },
        { type: "mention" as const, text: null, user_id: "u1", name: "Ray Rep" },
        { type: "mention" as const, text: null, user_id: null, name: null },
      ],
    };
    expect(textOf({ body, deleted: false })).toBe("Ask @Ray Rep@removed user");
    expect(textOf({ body, deleted: true })).toBe("Comment removed");
  });
});

describe("who reviews", () => {
  it("managers, admins and owners, never on their own call, never reps", () => {
    expect(canReview("manager", "m1", "r1")).toBe(true);
    expect(canReview("manager", "r1", "r1")).toBe(false);
    expect(canReview("rep", "r2", "r1")).toBe(false);
    expect(canReview("compliance", "c1", "r1")).toBe(false);
  });
});
