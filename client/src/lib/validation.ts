/**
 * Form checks run before sending, mirroring the API's rules so people see a mistake at once. The API stays the
 * authority: its 422 field errors are shown on the same fields.
 */
import type { Schemas } from "../api/client";

export type Errors = Record<string, string>;

/** A number typed in a form field: "12,000" and "12 000" read as 12000, "" as null, anything else as NaN. */
export function parseNumber(text: string): number | null {
  const cleaned = text.replace(/[\s,_]/g, "").replace(/[€$£%]/g, "");
  if (cleaned === "") return null;
  const value = Number(cleaned);
  return Number.isFinite(value) ? value : Number.NaN;
}

export interface KeyResultDraft {
  title: string;
  metric: Schemas["Metric"];
  direction: Schemas["Direction"];
  unit: string;
  start_value: string;
  target_value: string;
  stretch_value: string;
  previous_value: string;
  weight: string;
  cadence: Schemas["Cadence"] | "";
  owner_id: string;
  milestone_plan: { date: string; value: string }[];
  /** How it counts: a count for the cycle (starts again when carried over) or a level (carries on). */
  accumulation: "cumulative" | "level";
  /** A KPI whose every new value is checked in here; empty: none. */
  follows_kpi_id: string;
}

export function emptyKeyResultDraft(): KeyResultDraft {
  return {
    title: "",
    metric: "number",
    direction: "increase",
    unit: "",
    start_value: "0",
    target_value: "",
    stretch_value: "",
    previous_value: "",
    weight: "1",
    cadence: "",
    owner_id: "",
    milestone_plan: [],
    accumulation: "cumulative",
    follows_kpi_id: "",
  };
}

export function keyResultDraftOf(keyResult: Schemas["KeyResultPublic"]): KeyResultDraft {
  const text = (value: number | null) => (value === null ? "" : String(value));
  return {
    title: keyResult.title,
    metric: keyResult.metric,
    direction: keyResult.direction,
    unit: keyResult.unit,
    start_value: String(keyResult.start_value),
    target_value: String(keyResult.target_value),
    stretch_value: text(keyResult.stretch_value),
    previous_value: text(keyResult.previous_value),
    weight: String(keyResult.weight),
    cadence: keyResult.cadence,
    owner_id: keyResult.owner_id,
    milestone_plan: keyResult.milestone_plan.map((point) => ({ date: point.date, value: String(point.value) })),
    accumulation: keyResult.accumulation ?? "cumulative",
    follows_kpi_id: keyResult.follows_kpi_id ?? "",
  };
}

/** Field errors of a key-result draft, keyed like the API's field names; empty when it can be sent. */
export function validateKeyResult(draft: KeyResultDraft, cycle?: { start_date: string; end_date: string }): Errors {
  const errors: Errors = {};
  if (!draft.title.trim()) errors.title = "Give the key result a title";
  const start = draft.metric === "milestone" ? 0 : parseNumber(draft.start_value);
  // A milestone's target is its number of steps (1: done or not), whole; empty means 1.
  const target = draft.metric === "milestone" ? (parseNumber(draft.target_value) ?? 1) : parseNumber(draft.target_value);
  const stretch = parseNumber(draft.stretch_value);
  const previous = parseNumber(draft.previous_value);
  const weight = parseNumber(draft.weight);
  if (start === null || Number.isNaN(start)) errors.start_value = "Enter the starting value";
  if (target === null) errors.target_value = "Enter the target";
  else if (Number.isNaN(target)) errors.target_value = "Enter a number";
  else if (draft.metric === "milestone" && (!Number.isInteger(target) || target < 1))
    errors.target_value = "A whole number of steps, 1 or more";
  if (Number.isNaN(stretch)) errors.stretch_value = "Enter a number or leave empty";
  if (Number.isNaN(previous)) errors.previous_value = "Enter a number or leave empty";
  if (weight === null || Number.isNaN(weight) || weight <= 0 || weight > 100) errors.weight = "A weight between 0 and 100";
  if (typeof start === "number" && typeof target === "number" && !Number.isNaN(start) && !Number.isNaN(target)) {
    if (draft.direction === "increase" && !(target > start)) errors.target_value = "To increase, the target must be above the start";
    if (draft.direction === "decrease" && !(target < start)) errors.target_value = "To decrease, the target must be below the start";
    if (typeof stretch === "number" && !Number.isNaN(stretch)) {
      const beyond =
        draft.direction === "increase" || draft.direction === "at_least" ? stretch > target : stretch < target;
      if (!beyond) errors.stretch_value = "The stretch lies beyond the target (further in the key result's direction)";
    }
  }
  draft.milestone_plan.forEach((point, index) => {
    if (!point.date) errors[`milestone_plan.${index}.date`] = "Pick a date";
    else if (cycle && (point.date < cycle.start_date || point.date > cycle.end_date))
      errors[`milestone_plan.${index}.date`] = "Inside the cycle";
    const value = parseNumber(point.value);
    if (value === null || Number.isNaN(value)) errors[`milestone_plan.${index}.value`] = "Enter a value";
  });
  return errors;
}

/** The create body of a valid draft (numbers parsed, empty optionals left out). */
export function keyResultBody(draft: KeyResultDraft, objectiveId: string): Schemas["KeyResultCreate"] {
  const milestone = draft.metric === "milestone";
  const optional = (text: string) => {
    const value = parseNumber(text);
    return value === null || Number.isNaN(value) ? null : value;
  };
  return {
    objective_id: objectiveId,
    title: draft.title.trim(),
    metric: draft.metric,
    direction: milestone ? "increase" : draft.direction,
    unit: draft.unit.trim(),
    start_value: milestone ? 0 : (parseNumber(draft.start_value) ?? 0),
    target_value: milestone ? (parseNumber(draft.target_value) ?? 1) : (parseNumber(draft.target_value) ?? 0),
    stretch_value: milestone ? null : optional(draft.stretch_value),
    previous_value: milestone ? null : optional(draft.previous_value),
    weight: parseNumber(draft.weight) ?? 1,
    cadence: draft.cadence === "" ? null : draft.cadence,
    owner_id: draft.owner_id || null,
    milestone_plan: draft.milestone_plan
      .filter((point) => point.date)
      .sort((a, b) => a.date.localeCompare(b.date))
      .map((point) => ({ date: point.date, value: parseNumber(point.value) ?? 0 })),
    accumulation: draft.accumulation,
    follows_kpi_id: milestone ? null : draft.follows_kpi_id || null,
  };
}

/** A check-in row: empty value means "not this time"; otherwise a number and an optional confidence 0–10. */
export interface CheckInDraft {
  value: string;
  confidence: string;
  note: string;
}

/** `steps`: a milestone's target, its last step (1 for done or not). */
export function validateCheckIn(draft: CheckInDraft, metric: Schemas["Metric"], steps = 1): Errors {
  const errors: Errors = {};
  const value = parseNumber(draft.value);
  if (value === null) errors.value = "Enter the current value";
  else if (Number.isNaN(value)) errors.value = "Enter a number";
  else if (metric === "milestone" && (!Number.isInteger(value) || value < 0 || value > steps))
    errors.value = steps === 1 ? "1 when done, 0 when not" : `A whole number of steps from 0 to ${steps}`;
  if (draft.confidence !== "") {
    const confidence = Number(draft.confidence);
    if (!Number.isInteger(confidence) || confidence < 0 || confidence > 10) errors.confidence = "A whole number from 0 to 10";
  }
  return errors;
}

export function isBlankCheckIn(draft: CheckInDraft): boolean {
  return draft.value.trim() === "" && draft.confidence.trim() === "" && draft.note.trim() === "";
}

export function checkInFields(draft: CheckInDraft): { value: number; confidence: number | null; note: string } {
  return {
    value: parseNumber(draft.value) ?? 0,
    confidence: draft.confidence === "" ? null : Number(draft.confidence),
    note: draft.note.trim(),
  };
}

export interface CycleDraft {
  name: string;
  start_date: string;
  end_date: string;
}

export function validateCycle(draft: CycleDraft): Errors {
  const errors: Errors = {};
  if (!draft.name.trim()) errors.name = "Name the cycle, e.g. 2026-Q1";
  if (!draft.start_date) errors.start_date = "Pick the first day";
  if (!draft.end_date) errors.end_date = "Pick the last day";
  if (draft.start_date && draft.end_date && draft.end_date <= draft.start_date) errors.end_date = "Ends after it starts";
  return errors;
}

/** The PATCH body of an edited key result: only fields whose value changed. */
export function keyResultChanges(before: KeyResultDraft, after: KeyResultDraft): Schemas["KeyResultUpdate"] {
  const a = keyResultBody(before, "");
  const b = keyResultBody(after, "");
  const changes: Record<string, unknown> = {};
  for (const key of Object.keys(b) as (keyof typeof b)[]) {
    if (key === "objective_id") continue;
    if (JSON.stringify(a[key]) !== JSON.stringify(b[key])) changes[key] = b[key];
  }
  // owner_id null means "unchanged" for an update; the API has no "no owner".
  if (changes.owner_id === null) delete changes.owner_id;
  return changes;
}

/** The API's password length rule (identity/passwords.py): at least 12 characters; it also refuses common ones. */
export const PASSWORD_MIN = 12;
export const PASSWORD_MAX = 256;

export interface PasswordChangeDraft {
  current_password: string;
  new_password: string;
  confirmation: string;
}

export function validatePasswordChange(draft: PasswordChangeDraft): Errors {
  const errors: Errors = {};
  // Characters as the API counts them (code points), not UTF-16 units: an emoji is one.
  const length = [...draft.new_password].length;
  if (!draft.current_password) errors.current_password = "Enter your current password";
  if (!draft.new_password) errors.new_password = "Choose a new password";
  else if (length < PASSWORD_MIN) errors.new_password = `At least ${PASSWORD_MIN} characters (${length} so far)`;
  else if (length > PASSWORD_MAX) errors.new_password = `At most ${PASSWORD_MAX} characters`;
  else if (draft.new_password === draft.current_password)
    errors.new_password = "Choose a password other than the current one";
  if (!errors.new_password && draft.confirmation !== draft.new_password)
    errors.confirmation = "Type the new password again, exactly";
  return errors;
}
