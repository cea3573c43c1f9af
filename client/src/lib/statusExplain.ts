/**
 * Why a status is what it is, in words, from the figures the API returns and the organisation's thresholds
 * (docs/concepts.md: the gap to expected progress, and a low confidence turning on track into at risk).
 */
import { formatProgress } from "./format";
import { type Status, STATUS_LABEL } from "./status";

export interface Thresholds {
  on_track_gap: number;
  at_risk_gap: number;
  low_confidence: number;
}

export const DEFAULT_THRESHOLDS: Thresholds = { on_track_gap: 0.1, at_risk_gap: 0.25, low_confidence: 3 };

export interface StatusFacts {
  progress: number | null | undefined;
  expected: number | null | undefined;
  /** Key results only: objectives have no confidence rule. */
  confidence?: number | null | undefined;
  subject: "key_result" | "objective";
}

const points = (gap: number) => `${Math.round(Math.abs(gap) * 100)} point${Math.round(Math.abs(gap) * 100) === 1 ? "" : "s"}`;

export function explainStatus(status: Status, facts: StatusFacts, t: Thresholds = DEFAULT_THRESHOLDS): string[] {
  const lines: string[] = [];
  if (status === "done") return [`${STATUS_LABEL.done}: progress has reached 100 %.`];
  if (status === "no_data") {
    return [
      facts.subject === "objective"
        ? "No data: none of its key results has a check-in yet."
        : "No data: no check-in has come within the first check-in period of the cycle.",
    ];
  }
  const { progress, expected } = facts;
  if (progress !== null && progress !== undefined && expected !== null && expected !== undefined) {
    const gap = expected - progress;
    const where = Math.abs(gap) < 0.005 ? "exactly on plan" : gap > 0 ? `${points(gap)} behind` : `${points(gap)} ahead`;
    lines.push(`Progress ${formatProgress(progress)}, expected by now ${formatProgress(expected)}: ${where}.`);
  }
  lines.push(
    `On track up to ${points(t.on_track_gap)} behind, at risk up to ${points(t.at_risk_gap)}, off track beyond.`,
  );
  if (facts.subject === "key_result") {
    const c = facts.confidence;
    const low = c !== null && c !== undefined && c <= t.low_confidence;
    const gapSaysOnTrack =
      progress !== null && progress !== undefined && expected !== null && expected !== undefined && expected - progress <= t.on_track_gap + 1e-9;
    if (low && status === "at_risk" && gapSaysOnTrack) {
      lines.push(`At risk because the latest confidence is ${c}/10: ${t.low_confidence} or less turns on track into at risk.`);
    } else {
      lines.push(
        `${c === null || c === undefined ? "No confidence given yet" : `Latest confidence ${c}/10`}; ${t.low_confidence} or less turns on track into at risk.`,
      );
    }
  }
  return lines;
}
