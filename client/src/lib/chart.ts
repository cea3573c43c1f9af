/** Points of a key result's chart: check-ins against the pace line (the plan from start to target). */
import type { Schemas } from "../api/client";

export interface ChartPoint {
  t: number;
  actual?: number;
  pace?: number;
}

const DAY = 86_400_000;

/** The cycle's first instant and the end of its last day (end dates are inclusive). */
export function cycleBounds(cycle: { start_date: string; end_date: string }): [number, number] {
  return [Date.parse(`${cycle.start_date}T00:00:00`), Date.parse(`${cycle.end_date}T00:00:00`) + DAY];
}

/** Pace: (start, start value) → the milestone plan → (end, target), as the API's expected value is defined. */
export function pacePoints(keyResult: Schemas["KeyResultPublic"], cycle: { start_date: string; end_date: string }): ChartPoint[] {
  const [start, end] = cycleBounds(cycle);
  const plan = keyResult.milestone_plan
    .map((point) => ({ t: Date.parse(`${point.date}T00:00:00`) + DAY, pace: point.value }))
    .filter((point) => point.t > start && point.t < end);
  return [{ t: start, pace: keyResult.start_value }, ...plan, { t: end, pace: keyResult.target_value }];
}

/** The value line: check-ins that stand (a corrected one is replaced by its correction), by reported time. */
export function actualPoints(checkIns: Schemas["CheckInPublic"][]): ChartPoint[] {
  return checkIns
    .filter((checkIn) => !checkIn.corrected_by)
    .map((checkIn) => ({ t: Date.parse(checkIn.checked_in_at), actual: checkIn.value }))
    .sort((a, b) => a.t - b.t);
}

/** One series array for the chart (recharts wants one array; points carry either or both values). */
export function chartData(
  keyResult: Schemas["KeyResultPublic"],
  cycle: { start_date: string; end_date: string },
  checkIns: Schemas["CheckInPublic"][],
): ChartPoint[] {
  return [...pacePoints(keyResult, cycle), ...actualPoints(checkIns)].sort((a, b) => a.t - b.t);
}
