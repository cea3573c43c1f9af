import { describe, expect, it } from "vitest";
import type { Schemas } from "../api/client";
import { budgetText, initiativeChanges, initiativeDraftOf, validateInitiative } from "./initiativeForm";

const initiative: Schemas["InitiativePublic"] = {
  id: "11111111-1111-1111-1111-111111111111",
  title: "Spring webinar series",
  description: "",
  kind: "campaign",
  owner_id: "owner-1",
  team_id: null,
  state: "planned",
  start_date: "2026-03-01",
  end_date: null,
  currency: "EUR",
  planned_budget: "12000.00",
  actual_spend: "0.00",
  remaining_budget: "12000.00",
  as_of: null,
  key_results: [],
  unallocated_share: "1.0000",
  unallocated_spend: "0.00",
  pacing_day: "2026-03-01",
  elapsed_share: null,
  expected_spend: null,
  spend_vs_expected: null,
  version: 3,
  created_at: "2026-03-01T09:00:00Z",
  updated_at: "2026-03-01T09:00:00Z",
};

describe("budgetText", () => {
  it.each([
    ["12000", "12000"],
    ["12,000.50", "12000.50"],
    [" 8 000 ", "8000"],
    ["", "0"],
    ["€1,250", "1250"],
  ])("reads %j as %j", (input, expected) => {
    expect(budgetText(input)).toBe(expected);
  });

  it.each(["-5", "12.345", "twelve", "1.250,50"])("refuses %j", (input) => {
    expect(budgetText(input)).toBeNull();
  });
});

describe("validateInitiative", () => {
  it("accepts the initiative as it is", () => {
    expect(validateInitiative(initiativeDraftOf(initiative))).toEqual({});
  });

  it("needs a title, a readable budget and an end on or after the start", () => {
    const draft = { ...initiativeDraftOf(initiative), title: "  ", planned_budget: "-1", end_date: "2026-02-28" };
    expect(Object.keys(validateInitiative(draft)).sort()).toEqual(["end_date", "planned_budget", "title"]);
    expect(validateInitiative({ ...initiativeDraftOf(initiative), end_date: "2026-03-01" })).toEqual({});
  });
});

describe("initiativeChanges: the PATCH body", () => {
  it("is empty when nothing changed, whatever the budget's spelling", () => {
    const before = initiativeDraftOf(initiative);
    expect(initiativeChanges(before, { ...before, planned_budget: "12,000" })).toEqual({});
    expect(initiativeChanges(before, { ...before, title: " Spring webinar series " })).toEqual({});
  });

  it("carries only the changed fields, the budget as decimal text", () => {
    const before = initiativeDraftOf(initiative);
    const after = { ...before, title: "Spring webinars", planned_budget: "15,500.5", kind: "program" as const };
    expect(initiativeChanges(before, after)).toEqual({ title: "Spring webinars", kind: "program", planned_budget: "15500.5" });
  });

  it("sends cleared dates and team as null, set ones as they are", () => {
    const before = { ...initiativeDraftOf(initiative), team_id: "team-1" };
    const after = { ...before, start_date: "", end_date: "2026-06-30", team_id: "" };
    expect(initiativeChanges(before, after)).toEqual({ start_date: null, end_date: "2026-06-30", team_id: null });
  });

  it("never sends a missing owner (the API has no initiative without one)", () => {
    const before = initiativeDraftOf(initiative);
    expect(initiativeChanges(before, { ...before, owner_id: "" })).toEqual({});
    expect(initiativeChanges(before, { ...before, owner_id: "owner-2" })).toEqual({ owner_id: "owner-2" });
  });

  it("sends a cleared description as empty text", () => {
    const before = { ...initiativeDraftOf(initiative), description: "Four sessions" };
    expect(initiativeChanges(before, { ...before, description: "" })).toEqual({ description: "" });
  });
});
