import { describe, expect, it } from "vitest";
import type { Schemas } from "../api/client";
import { edgeLabel, graphOf } from "./alignmentGraph";
import { money, moneyText, sumMoney } from "./money";

const objective = (id: string, change: Partial<Schemas["MapObjective"]> = {}): Schemas["MapObjective"] => ({
  id, cycle_id: "c", title: id, level: "team", team_id: null, owner_id: "m", kind: "committed", state: "active",
  progress_from: "key_results", progress: 0.5, expected_progress: 0.5, score: 0.5, status: "on_track", spend: "0.00",
  ...change,
});

const map: Schemas["AlignmentMap"] = {
  cycle_ids: ["c"],
  currency: "EUR",
  objectives: [objective("company", { level: "company" }), objective("marketing"), objective("sales"), objective("old", { state: "archived" })],
  key_results: [
    { id: "kr-pipeline", objective_id: "sales", title: "Pipeline €", progress: 0.2, score: 0.2, status: "at_risk", current_value: 1, target_value: 5, unit: "", spend: "0" },
  ],
  edges: [
    { id: "e1", source: "marketing", target: "company", target_type: "objective", kind: "cascade", weight: 1 },
    { id: "e2", source: "marketing", target: "kr-pipeline", target_type: "key_result", kind: "contributes", weight: 0.3 },
    { id: "e3", source: "sales", target: "company", target_type: "objective", kind: "cascade", weight: 0.5 },
    { id: "e4", source: "old", target: "company", target_type: "objective", kind: "cascade", weight: 1 },
  ],
};

describe("alignment map graph", () => {
  it("draws parents above children, a key-result link to its objective, and leaves archived objectives out", () => {
    const graph = graphOf(map);
    expect(graph.nodes.map((n) => n.id)).toEqual(["company", "marketing", "sales"]);
    expect(graph.edges).toEqual([
      { id: "e1", source: "company", target: "marketing", kind: "cascade", weight: 1, viaKeyResult: null },
      { id: "e2", source: "sales", target: "marketing", kind: "contributes", weight: 0.3, viaKeyResult: "Pipeline €" },
      { id: "e3", source: "company", target: "sales", kind: "cascade", weight: 0.5, viaKeyResult: null },
    ]);
  });

  it("labels an edge with its kind, weight and key result", () => {
    expect(edgeLabel(graphOf(map).edges[1]!)).toBe("contributes · 30 % via Pipeline €");
  });
});

describe("money", () => {
  it("shows exact decimal strings in the currency", () => {
    expect(money("12000.00", "EUR")).toBe("€12,000");
    expect(money("0.00", "EUR")).toBe("€0.00");
    expect(money(null, "EUR")).toBe("—");
  });

  it("reads typed amounts as decimal text, refusing what it would have to guess", () => {
    expect(moneyText("12,000.50")).toBe("12000.50");
    expect(moneyText("€ 2500")).toBe("2500");
    expect(moneyText("12.345")).toBeNull();
    expect(moneyText("lots")).toBeNull();
  });

  it("sums to the cent for display", () => {
    expect(sumMoney(["0.10", "0.20", 1])).toBe(1.3);
  });
});
