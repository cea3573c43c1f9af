/** The initiative edit form: a draft of the editable fields, its checks (mirroring the API's 422s) and the PATCH body. */
import type { Schemas } from "../api/client";
import { moneyText } from "./money";
import type { Errors } from "./validation";

type Initiative = Schemas["InitiativePublic"];

export interface InitiativeDraft {
  title: string;
  description: string;
  kind: Initiative["kind"];
  owner_id: string;
  team_id: string;
  start_date: string;
  end_date: string;
  planned_budget: string;
}

export function initiativeDraftOf(initiative: Initiative): InitiativeDraft {
  return {
    title: initiative.title,
    description: initiative.description,
    kind: initiative.kind,
    owner_id: initiative.owner_id,
    team_id: initiative.team_id ?? "",
    start_date: initiative.start_date ?? "",
    end_date: initiative.end_date ?? "",
    planned_budget: initiative.planned_budget,
  };
}

/** The budget as the API's decimal text; an empty field is no budget ("0"), a negative or unreadable one is null. */
export function budgetText(input: string): string | null {
  if (input.trim() === "") return "0";
  const text = moneyText(input);
  return text === null || text.startsWith("-") ? null : text;
}

export function validateInitiative(draft: InitiativeDraft): Errors {
  const errors: Errors = {};
  if (!draft.title.trim()) errors.title = "Name the initiative";
  if (budgetText(draft.planned_budget) === null) errors.planned_budget = "An amount of 0 or more, such as 12000 or 12,000.50";
  if (draft.start_date && draft.end_date && draft.end_date < draft.start_date) {
    errors.end_date = "Ends on or after the day it starts";
  }
  return errors;
}

/** Same amount whatever the spelling: "12000", "12,000.00" and "12000.0" are one budget. */
function sameAmount(a: string, b: string): boolean {
  const x = budgetText(a);
  const y = budgetText(b);
  return x !== null && y !== null && Math.round(Number(x) * 100) === Math.round(Number(y) * 100);
}

/**
 * The PATCH body: only the fields that changed, so a concurrent change to another field is still caught by If-Match
 * rather than reverted. Cleared dates and team are sent as null; the description as "" (the API has no null one).
 */
export function initiativeChanges(before: InitiativeDraft, after: InitiativeDraft): Schemas["InitiativeUpdate"] {
  const changes: Schemas["InitiativeUpdate"] = {};
  if (after.title.trim() !== before.title.trim()) changes.title = after.title.trim();
  if (after.description.trim() !== before.description.trim()) changes.description = after.description.trim();
  if (after.kind !== before.kind) changes.kind = after.kind;
  if (after.owner_id && after.owner_id !== before.owner_id) changes.owner_id = after.owner_id;
  if (after.team_id !== before.team_id) changes.team_id = after.team_id || null;
  if (after.start_date !== before.start_date) changes.start_date = after.start_date || null;
  if (after.end_date !== before.end_date) changes.end_date = after.end_date || null;
  if (!sameAmount(after.planned_budget, before.planned_budget)) {
    const budget = budgetText(after.planned_budget);
    if (budget !== null) changes.planned_budget = budget;
  }
  return changes;
}
