import { describe, expect, it } from "vitest";
import type { Schemas } from "../api/client";
import { pickCycle } from "../queries/cycleChoice";
import { actualPoints, chartData, pacePoints } from "./chart";
import { NetworkError } from "./network";
import { fieldErrors, asProblem } from "./problem";
import { NO_FILTERS, scoreboardGroups, scoreboardQuery, totalObjectives } from "./scoreboard";

type KeyResult = Schemas["KeyResultPublic"];

function keyResult(change: Partial<KeyResult> = {}): KeyResult {
  return {
    id: "kr", objective_id: "o", title: "Leads", owner_id: "m1", metric: "number", unit: "leads", direction: "increase",
    start_value: 0, target_value: 24000, stretch_value: null, previous_value: null, weight: 1, cadence: "monthly",
    milestone_plan: [], data_source: "manual", external_key: null, archived: false, current_value: 0, progress: 0,
    score: 0, status: "no_data", latest_confidence: null, last_check_in_at: null, expected_value: 0,
    expected_progress: 0, stale: false, version: 1, created_at: "2026-01-01T00:00:00Z", updated_at: "2026-01-01T00:00:00Z",
    ...change,
  };
}


describe("scoreboard groups (from the server's scoreboard)", () => {
  const row = (id: string, status: Schemas["Status"], change: Partial<Schemas["ScoreboardObjective"]> = {}) => ({
    id, title: id, level: "team" as const, kind: "committed" as const, state: "active" as const, owner_id: "m", owner_name: "Ann",
    team_id: "t", progress: 0.5, expected_progress: 0.5, score: 0.5, status, latest_confidence: 5, lowest_confidence: 5,
    last_check_in_at: null, key_result_count: 1, key_results_by_status: {}, ...change,
  });
  const board = {
    cycle_id: "c", cycle_name: "FY", cycle_state: "active" as const, as_of: "2026-07-01T00:00:00Z",
    totals: { objectives: { on_track: 2, off_track: 1, at_risk: 1 }, key_results: {} },
    compliance: { as_of: "", overall: { key_results: 0, on_time: 0, share: null }, teams: [], people: [] },
    teams: [
      { team_id: "t2", name: "Sales", parent_id: null, objectives_by_status: {}, objectives: [row("Sales goal", "at_risk")] },
      { team_id: "t1", name: "Marketing", parent_id: null, objectives_by_status: {}, objectives: [row("B on track", "on_track"), row("A off track", "off_track"), row("Gone", "on_track", { state: "archived" })] },
      { team_id: null, name: "Company", parent_id: null, objectives_by_status: {}, objectives: [row("Company goal", "on_track", { level: "company" })] },
      { team_id: "t3", name: "Empty", parent_id: null, objectives_by_status: {}, objectives: [] },
    ],
  } as unknown as Schemas["ScoreboardPublic"];

  it("puts the company first, then teams by name, worst status first; archived rows and empty teams left out", () => {
    const groups = scoreboardGroups(board, NO_FILTERS);
    expect(groups.map((g) => g.name)).toEqual(["Company", "Marketing", "Sales"]);
    expect(groups[1]!.rows.map((r) => r.title)).toEqual(["A off track", "B on track"]);
  });

  it("filters by status here and by the company group", () => {
    expect(scoreboardGroups(board, { ...NO_FILTERS, status: "at_risk" }).map((g) => g.name)).toEqual(["Sales"]);
    expect(scoreboardGroups(board, { ...NO_FILTERS, team: "company" }).map((g) => g.name)).toEqual(["Company"]);
  });

  it("asks the API for team (with sub-teams), owner, level and kind", () => {
    expect(scoreboardQuery({ ...NO_FILTERS, team: "t1", kind: "aspirational" })).toEqual({
      team_id: "t1",
      include_sub_teams: true,
      kind: "aspirational",
    });
    expect(scoreboardQuery({ ...NO_FILTERS, team: "company" })).toEqual({});
  });

  it("counts objectives over every status, missing ones as zero", () => {
    expect(totalObjectives(board.totals.objectives)).toBe(4);
  });
});

describe("chart points", () => {
  const cycle = { start_date: "2026-01-01", end_date: "2026-12-31" };

  it("paces from start to target through the milestone plan", () => {
    const pace = pacePoints(keyResult({ milestone_plan: [{ date: "2026-06-30", value: 6000 }] }), cycle);
    expect(pace.map((p) => p.pace)).toEqual([0, 6000, 24000]);
    expect(pace[0]!.t).toBeLessThan(pace[1]!.t);
  });

  it("plots the value that stands: a corrected check-in is replaced by its correction", () => {
    const base = { key_result_id: "kr", confidence: 5, note: "", author_id: null, actor: "x", source: "manual", backdated: false, reason: null, corrects: null, corrected_by: null };
    const points = actualPoints([
      { ...base, id: "1", value: 1000, checked_in_at: "2026-02-01T00:00:00Z", created_at: "2026-02-01T00:00:00Z", corrected_by: "2" },
      { ...base, id: "2", value: 900, checked_in_at: "2026-02-01T00:00:00Z", created_at: "2026-02-02T00:00:00Z", corrects: "1", reason: "typo" },
      { ...base, id: "3", value: 2000, checked_in_at: "2026-03-01T00:00:00Z", created_at: "2026-03-01T00:00:00Z" },
    ]);
    expect(points.map((p) => p.actual)).toEqual([900, 2000]);
    expect(chartData(keyResult(), cycle, []).length).toBe(2);
  });
});

describe("cycle choice", () => {
  const cycle = (id: string, start: string, end: string, state: "planning" | "active" | "closed" = "active") =>
    ({ id, name: id, start_date: start, end_date: end, state, parent_id: null, closed_at: null, version: 1, created_at: "", updated_at: "" });
  const year = cycle("FY2026", "2026-01-01", "2026-12-31");
  const quarter = cycle("2026-Q3", "2026-07-01", "2026-09-30");
  const old = cycle("FY2025", "2025-01-01", "2025-12-31", "closed");

  it("keeps the remembered cycle", () => expect(pickCycle([year, quarter, old], "FY2025", "2026-08-01")?.id).toBe("FY2025"));
  it("otherwise takes the shortest active cycle containing today", () =>
    expect(pickCycle([year, quarter, old], null, "2026-08-01")?.id).toBe("2026-Q3"));
  it("forgets a remembered cycle that no longer exists", () =>
    expect(pickCycle([year, old], "deleted", "2026-02-01")?.id).toBe("FY2026"));
  it("falls back to the latest cycle", () => expect(pickCycle([old], null, "2026-02-01")?.id).toBe("FY2025"));
  it("has nothing to pick without cycles", () => expect(pickCycle([], null, "2026-02-01")).toBeNull());
});

describe("problems", () => {
  it("keys 422 field errors by field path", () => {
    const problem = {
      type: "/problems/validation", title: "Invalid", status: 422, detail: "2 errors",
      errors: [
        { loc: ["body", "target_value"], message: "must exceed start", type: "value_error" },
        { loc: ["body", "items", 3, "value"], message: "not a number", type: "type_error" },
      ],
    };
    expect(fieldErrors(problem)).toEqual({ target_value: "must exceed start", "items.3.value": "not a number" });
  });

  it("turns a network failure into a readable problem", () => {
    expect(asProblem(new NetworkError(new TypeError("Failed to fetch"))).title).toBe("Cannot reach Sightline");
  });
});
