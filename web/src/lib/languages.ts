// The languages an upload may be set to: the gateway's enum for the `language` form field
// (Whisper's ISO 639-1 codes). Typed against the generated schema, so a code the API
// does not accept fails `tsc`; names come from the browser (Intl.DisplayNames).
import type { operations } from "../api/schema";

export type UploadLanguage = NonNullable<
  operations["calls_upload"]["requestBody"]["content"]["multipart/form-data"]["language"]
>;

const CODES: Exclude<UploadLanguage, "auto">[] = [
  "af", "am", "ar", "as", "az", "ba", "be", "bg", "bn", "bo", "br", "bs", "ca", "cs", "cy", "da",
  "de", "el", "en", "es", "et", "eu", "fa", "fi", "fo", "fr", "gl", "gu", "ha", "he", "hi", "hr",
  "ht", "hu", "hy", "id", "is", "it", "ja", "ka", "kk", "km", "kn", "ko", "la", "lb", "ln", "lo",
  "lt", "lv", "mg", "mi", "mk", "ml", "mn", "mr", "ms", "mt", "my", "ne", "nl", "nn", "no", "oc",
  "pa", "pl", "ps", "pt", "ro", "ru", "sa", "sd", "si", "sk", "sl", "sn", "so", "sq", "sr", "su",
  "sv", "sw", "ta", "te", "tg", "th", "tk", "tl", "tr", "tt", "uk", "ur", "uz", "vi", "yi", "yo",
  "zh",
];

/** `{ code, name }` sorted by English name; the code is the name when the browser has none. */
export function languageOptions(): { code: UploadLanguage; name: string }[] {
  let names: Intl.DisplayNames | undefined;
  try {
    names = new Intl.DisplayNames(["en"], { type: "language" });
  } catch {
    names = undefined;
  }
  return CODES.map((code) => ({ code, name: names?.of(code) ?? code })).sort((a, b) => a.name.localeCompare(b.name));
}
