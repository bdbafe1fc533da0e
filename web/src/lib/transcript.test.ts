import type { Utterance } from "../api/call";
import { indexWords, speakerName, utteranceAt, wordAt } from "./transcript";

const utterances: Utterance[] = [
  { speaker: 0, role: "rep", start: 0, end: 1.5, text: "Hi there", words: [
    { word: "Hi", start: 0, end: 0.4 }, { word: "there", start: 0.5, end: 1.5 },
  ] },
  { speaker: 1, role: "customer", start: 2, end: 3, text: "Hello", words: [{ word: "Hello", start: 2, end: 3 }] },
];

test("the word being spoken is found by time, pauses have none", () => {
  const index = indexWords(utterances);
  expect(wordAt(index, 0.1)).toMatchObject({ utterance: 0, word: 0 });
  expect(wordAt(index, 0.9)).toMatchObject({ utterance: 0, word: 1 });
  expect(wordAt(index, 0.45)).toBeNull();
  expect(wordAt(index, 1.7)).toBeNull();
  expect(wordAt(index, 2.5)).toMatchObject({ utterance: 1, word: 0 });
  expect(wordAt(index, 3.0)).toBeNull();
  expect(wordAt(index, -1)).toBeNull();
});

test("the utterance to follow is the last one started", () => {
  expect(utteranceAt(utterances, -1)).toBe(-1);
  expect(utteranceAt(utterances, 1.8)).toBe(0);
  expect(utteranceAt(utterances, 2.1)).toBe(1);
});

test("a 60-minute call's word lookup stays exact", () => {
  const long: Utterance[] = Array.from({ length: 1000 }, (_, u) => ({
    speaker: u % 2, role: null, start: u * 3.6, end: u * 3.6 + 3.5, text: "",
    words: Array.from({ length: 9 }, (_, w) => ({ word: `w${w}`, start: u * 3.6 + w * 0.38, end: u * 3.6 + w * 0.38 + 0.3 })),
  }));
  const index = indexWords(long);
  expect(index.refs).toHaveLength(9000);
  expect(wordAt(index, 777 * 3.6 + 4 * 0.38 + 0.1)).toMatchObject({ utterance: 777, word: 4 });
});

test("speakers are named after the participant with their role", () => {
  const people = [{ name: "Rita", role: "rep" }, { email: "carl@buyer.example", role: "customer" }];
  expect(speakerName(0, "rep", people)).toBe("Rita");
  expect(speakerName(1, "customer", people)).toBe("carl@buyer.example");
  expect(speakerName(2, null, people)).toBe("Speaker 3");
});
