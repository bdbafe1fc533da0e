// One call as GET /v1/calls/{id} answers it. The envelope (id, status, transcript…) is
// the generated CallOut; metrics, trackers, scorecard and feedback are the score
// service's documents, which the gateway passes through as free-form objects, so their
// shapes are written out here (services/score/src/score/domain/{metrics,trackers,
// scorecards,coaching,evidence}.py) and read defensively.
import type { Schemas } from "./client";

export type CallOut = Schemas["CallOut"];
export type CallSummary = Schemas["CallSummaryOut"];
export type CallStatus = CallOut["status"];
export type Role = "rep" | "customer";

export interface Word {
  word: string;
  start: number;
  end: number;
  speaker?: number | null;
}

export interface Utterance {
  speaker: number;
  role: Role | null;
  start: number;
  end: number;
  text: string;
  words: Word[];
}

export interface Participant {
  name?: string | null;
  email?: string | null;
  role: Role;
}

export interface MetricValue {
  value: number | null;
  unit: string;
  recommended_min: number | null;
  recommended_max: number | null;
  direction: string;
  in_range: boolean | null;
  basis: string;
  note?: string | null;
}

export interface TrackerHit {
  tracker: string;
  phrase: string;
  speaker: number;
  role: Role;
  time: number;
  quote: string;
}

export interface TrackerSummary {
  name: string;
  count: number;
  hits: TrackerHit[];
}

export interface Evidence {
  kind: "quote" | "metric" | "scorecard" | "tracker";
  quote?: string;
  time?: number;
  speaker?: number;
  role?: Role;
  metric?: string;
  value?: number | null;
  unit?: string;
  tracker?: string;
  item?: string;
  question?: string;
}

export interface ScorecardItem {
  key: string;
  question: string;
  score: number;
  points: number;
  max_points: number;
  status: string;
  evidence: Evidence[];
  notes?: string[];
  /** The engine's score when a reviewer overrode it (with who, when and why). */
  automatic_score?: number | null;
  override?: { score: number; reason: string | null; reviewer_id: string | null; created_at: string } | null;
}

export interface ScorecardResult {
  name: string;
  methodology: string;
  overall: number;
  items: ScorecardItem[];
  /** Set when a reviewer overrode items: the engine's overall score beside the reviewed one. */
  automatic_overall?: number | null;
  reviewed?: boolean;
}

export interface FeedbackPoint {
  text: string;
  evidence: Evidence[];
}

export interface Feedback {
  engine: string;
  strengths: FeedbackPoint[];
  improvements: FeedbackPoint[];
  next_steps: FeedbackPoint[];
}

export const STATUS_LABEL: Record<CallStatus, string> = {
  uploaded: "Uploaded",
  transcribing: "Transcribing",
  transcribed: "Transcribed",
  scoring: "Scoring",
  scored: "Scored",
  failed: "Failed",
};

export function utterancesOf(call: CallOut): Utterance[] {
  return (call.transcript?.utterances ?? []) as unknown as Utterance[];
}

export function participantsOf(call: { participants: unknown[] }): Participant[] {
  return call.participants as Participant[];
}

export function trackersOf(call: CallOut): TrackerSummary[] {
  return Array.isArray(call.trackers) ? (call.trackers as TrackerSummary[]) : [];
}

export function metricsOf(call: CallOut): Record<string, MetricValue> {
  const out: Record<string, MetricValue> = {};
  for (const [name, value] of Object.entries(call.metrics ?? {})) {
    if (value && typeof value === "object" && "in_range" in value) out[name] = value as MetricValue;
  }
  return out;
}
