import { ApiError } from "../api/client";
import { formErrors } from "./fieldErrors";

test("validation errors land on their fields", () => {
  const err = new ApiError(422, "validation_error", "body.password: String should have at least 10 characters; body.email: value is not a valid email address");
  expect(formErrors(err, ["email", "password"])).toEqual({
    fields: { password: "String should have at least 10 characters", email: "value is not a valid email address" },
  });
});

test("codes that name a field land on it; others are general", () => {
  expect(formErrors(new ApiError(409, "email_taken", "that email is taken"), ["email"]).fields.email).toBe("that email is taken");
  expect(formErrors(new ApiError(429, "too_many_attempts", "wait 60 s"), ["email"])).toEqual({ fields: {}, general: "wait 60 s" });
  expect(formErrors(new TypeError("fetch failed"), ["email"]).general).toMatch(/could not reach/i);
});

test("upload refusals land beside the file or the participants", () => {
  expect(formErrors(new ApiError(415, "unsupported_media_type", "not audio"), ["file", "participants"]).fields).toEqual({ file: "not audio" });
  expect(formErrors(new ApiError(422, "invalid_participants", "a name or an email"), ["file", "participants"]).fields).toEqual({
    participants: "a name or an email",
  });
});

test("a tagged union's errors land on the field after the variant; a refused webhook URL on the URL", () => {
  const err = new ApiError(
    422,
    "validation_error",
    "body.score_below.channel: String should have at least 1 character; body.score_below.threshold: Input should be less than or equal to 100",
  );
  expect(formErrors(err, ["channel", "threshold"]).fields).toEqual({
    channel: "String should have at least 1 character",
    threshold: "Input should be less than or equal to 100",
  });
  const refused = new ApiError(422, "target_refused", "this URL cannot receive webhooks: 10.0.0.1 is private");
  expect(formErrors(refused, ["url"]).fields.url).toMatch(/private/);
});
