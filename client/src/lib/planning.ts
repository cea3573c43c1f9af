/** Planning the next cycle: ambition as the API computes it, the cycle planned from, and carry-over read-outs. */
import type { Schemas } from "../api/client";

/** The API's bound on a ratio (service/sightline/scoring.py, RATIO_LIMIT). */
const RATIO_LIMIT = 1e6;
/** The API's tolerance when comparing an ambition with the threshold (scoring.EPSILON). */
const EPSILON = 1e-9;
/** The documented default of the organisation's `low_ambition_threshold` (docs/insights.md). */
export const DEFAULT_LOW_AMBITION = 0;

/**
 * How much further than last time a target reaches, as the API computes it (scoring.ambition):
 * (target − start) / (previous − base) − 1, clamped to ±1e6, where last time's step began at `base`: the start,
 * or for a level carried over, its original's start. Null without a previous value or when it equals the base (no
 * comparable step). 0.5 means a 50 % bigger step than last time.
 */
export function ambition(
  start: number,
  target: number,
  previous: number | null | undefined,
  baseline?: number,
): number | null {
  const base = baseline ?? start;
  if (previous === null || previous === undefined || previous === base) return null;
  if (!Number.isFinite(target)) return null;
  const value = (target - start) / (previous - base) - 1;
  return Math.max(-RATIO_LIMIT, Math.min(RATIO_LIMIT, value));
}

/** Where last time's step began when not at the key result's own start: a level carried over starts where it
 * ended, and its step ran from its original's start (the API reads the original through `carried_from`). */
export function baselineOf(
  keyResult: { accumulation?: "cumulative" | "level"; carried_from?: string | null },
  originalStarts: ReadonlyMap<string, number>,
): number | undefined {
  if (keyResult.accumulation !== "level" || !keyResult.carried_from) return undefined;
  return originalStarts.get(keyResult.carried_from);
}

/** Only increase/decrease key results that are not milestones have an ambition (insights.ambition.assess). */
export function measuresAmbition(keyResult: { metric: Schemas["Metric"]; direction: Schemas["Direction"] }): boolean {
  return keyResult.metric !== "milestone" && (keyResult.direction === "increase" || keyResult.direction === "decrease");
}

/** At or below the organisation's threshold: flagged low_ambition by the API. */
export function isLowAmbition(value: number | null, threshold: number = DEFAULT_LOW_AMBITION): boolean {
  return value !== null && value <= threshold + EPSILON;
}

/** "+50 % on last period", "−10 % on last period", "same step as last period". */
export function ambitionText(value: number | null): string {
  if (value === null) return "No baseline: no ambition to measure";
  const percent = Math.round(value * 100);
  if (percent === 0) return "Ambition 0 %: the same step as last period";
  return `Ambition ${percent > 0 ? "+" : "−"}${Math.abs(percent)} % on last period`;
}

/** The ambition a draft key result shows while its target is typed (an empty or unreadable field: the saved one). */
export function liveAmbition(
  keyResult: { start_value: number; target_value: number; previous_value: number | null },
  typed: string | undefined,
  baseline?: number,
): number | null {
  const parsed = typed === undefined || typed.trim() === "" ? Number.NaN : Number(typed);
  const target = Number.isFinite(parsed) ? parsed : keyResult.target_value;
  return ambition(keyResult.start_value, target, keyResult.previous_value, baseline);
}

type Cycle = Pick<Schemas["CyclePublic"], "id" | "start_date" | "end_date" | "state" | "parent_id">;

function days(cycle: Pick<Cycle, "start_date" | "end_date">): number {
  return (Date.parse(cycle.end_date) - Date.parse(cycle.start_date)) / 86_400_000;
}

/**
 * The cycle a planned one follows: among active or closed cycles that started before it, those of about its length
 * (a quarter after a quarter, not the year around it), the one that started last.
 */
export function previousCycle<C extends Cycle>(cycles: C[], target: Cycle): C | null {
  const length = days(target);
  const candidates = cycles
    .filter((cycle) => cycle.id !== target.id && cycle.state !== "planning" && cycle.start_date < target.start_date)
    .filter((cycle) => Math.abs(days(cycle) - length) <= Math.max(15, length * 0.25));
  candidates.sort((a, b) => b.start_date.localeCompare(a.start_date));
  return candidates[0] ?? null;
}

/** What a carry-over request picks: objectives with the chosen key results (all of them: no list). */
export interface CarrySelection {
  /** objective id → chosen key result ids */
  [objectiveId: string]: string[];
}

export function carryOverBody(
  selection: CarrySelection,
  objectives: { id: string; key_results: { id: string; archived: boolean }[] }[],
  sourceCycleId: string,
  dryRun: boolean,
): Schemas["CarryOverRequest"] {
  const picks = objectives
    .filter((objective) => (selection[objective.id] ?? []).length > 0)
    .map((objective) => {
      const chosen = selection[objective.id] ?? [];
      const live = objective.key_results.filter((kr) => !kr.archived).map((kr) => kr.id);
      const all = live.length > 0 && live.every((id) => chosen.includes(id));
      return all ? { objective_id: objective.id } : { objective_id: objective.id, key_result_ids: chosen };
    });
  return { source_cycle_id: sourceCycleId, objectives: picks, include_initiatives: true, dry_run: dryRun };
}

export const SKIP_REASON: Record<Schemas["CarryOverSkip"]["reason"], string> = {
  already_carried: "Already carried into this cycle",
  archived: "Archived",
  not_found: "Not found",
  not_in_source_cycle: "Not in the cycle carried from",
  not_in_objective: "Not a key result of that objective",
  team_archived: "Its team is archived",
  owner_inactive: "Its owner is no longer active",
  invalid_values: "Its carried values would not make a valid key result",
  other_end_not_carried: "The other end of the link is not carried",
  would_close_loop: "It would close a loop",
  finished: "The initiative is done or dropped",
  target_cycle_closed: "This cycle is closed",
};
