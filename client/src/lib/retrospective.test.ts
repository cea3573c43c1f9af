import { describe, expect, it } from "vitest";
import type { Schemas } from "../api/client";
import {
  actorLabel,
  binLabel,
  calibrationRows,
  formatBias,
  formatBrier,
  gradeHistogram,
  histogramDescription,
  objectivesByScore,
  percent,
} from "./retrospective";

const bins = (counts: number[]) => counts.map((count, i) => ({ low: i / 10, high: (i + 1) / 10, count }));

const distribution: Schemas["GradeDistribution"][] = [
  {
    kind: "aspirational",
    key_results: 2,
    mean_score: 0.55,
    mean_progress: 0.6,
    hit_rate: 0,
    bins: bins([0, 0, 0, 0, 1, 0, 1, 0, 0, 0]),
    flags: [],
  },
  {
    kind: "committed",
    key_results: 3,
    mean_score: 0.8,
    mean_progress: 0.93,
    hit_rate: 2 / 3,
    bins: bins([0, 0, 0, 0, 0, 0, 1, 0, 0, 2]),
    flags: [],
  },
];

const figures = (forecasts: number, confidence: number | null, hit: number | null): Schemas["CalibrationFigures"] => ({
  forecasts,
  key_results: forecasts ? 1 : 0,
  brier: forecasts ? 0.2 : null,
  mean_confidence: confidence,
  hit_rate: hit,
  bias: confidence !== null && hit !== null ? confidence - hit : null,
  tendency: forecasts ? "calibrated" : null,
});

describe("gradeHistogram", () => {
  it("gives one row per bin in order with a count per kind, committed first", () => {
    const { rows, kinds } = gradeHistogram(distribution);
    expect(kinds).toEqual(["committed", "aspirational"]);
    expect(rows).toHaveLength(10);
    expect(rows[0]).toEqual({ bin: "0.0–0.1", committed: 0, aspirational: 0 });
    expect(rows[6]).toEqual({ bin: "0.6–0.7", committed: 1, aspirational: 1 });
    expect(rows[9]).toEqual({ bin: "0.9–1.0", committed: 2, aspirational: 0 });
  });

  it("leaves out a kind without key results", () => {
    const { rows, kinds } = gradeHistogram([{ ...distribution[0]!, key_results: 0, bins: bins(new Array<number>(10).fill(0)) }, distribution[1]!]);
    expect(kinds).toEqual(["committed"]);
    expect(Object.keys(rows[0]!)).toEqual(["bin", "committed"]);
  });

  it("describes itself in words for the chart's text alternative", () => {
    const { rows, kinds } = gradeHistogram(distribution);
    expect(histogramDescription(rows, kinds)).toBe(
      "Committed: 1 at 0.6–0.7, 2 at 0.9–1.0. Aspirational: 1 at 0.4–0.5, 1 at 0.6–0.7.",
    );
    expect(histogramDescription([], [])).toBe("No graded key results.");
  });
});

describe("read-outs", () => {
  it("writes bins, Brier scores, shares and bias", () => {
    expect(binLabel({ low: 0.9, high: 1 })).toBe("0.9–1.0");
    expect(formatBrier(0.29404)).toBe("0.294");
    expect(formatBrier(null)).toBe("—");
    expect(percent(2 / 3)).toBe("67 %");
    expect(percent(null)).toBe("—");
    expect(formatBias(0.125)).toBe("+13 pts");
    expect(formatBias(-0.05)).toBe("−5 pts");
    expect(formatBias(0.001)).toBe("0 pts");
    expect(formatBias(null)).toBe("—");
  });

  it("names who closed the cycle", () => {
    const names = (id: string) => (id === "u-1" ? "Olivia Owner" : "Former member");
    expect(actorLabel("user:u-1", names)).toBe("Olivia Owner");
    expect(actorLabel("api_key:k-9", names)).toBe("an API key");
    expect(actorLabel("system:demo", names)).toBe("system:demo");
  });
});

describe("calibrationRows", () => {
  it("lists the whole cycle, mid-cycle and each team with forecasts, as whole percentages", () => {
    const team = (name: string, f: Schemas["CalibrationFigures"]) => ({ ...f, team_id: null, name });
    const report: Schemas["CalibrationReport"] = {
      every_check_in: {
        overall: figures(10, 0.64, 0.5),
        teams: [team("Marketing", figures(6, 0.7, 0.5)), team("Sales", figures(0, null, null))],
        people: [],
      },
      mid_cycle: { overall: figures(3, 0.6, 0.333), teams: [], people: [] },
      mid_cycle_at: "2026-02-14T12:00:00Z",
    };
    expect(calibrationRows(report).map(({ label, confidence, hitRate }) => [label, confidence, hitRate])).toEqual([
      ["Every check-in", 64, 50],
      ["Mid-cycle", 60, 33],
      ["Marketing", 70, 50],
    ]);
  });
});

describe("objectivesByScore", () => {
  it("puts the best grade first and ungraded objectives last", () => {
    const objective = (title: string, score: number | null): Schemas["ObjectiveGrade"] => ({
      objective_id: title,
      title,
      level: "team",
      kind: "committed",
      team_id: null,
      owner_id: "u-1",
      key_results: score === null ? 0 : 1,
      progress: score,
      score,
    });
    const sorted = objectivesByScore([objective("B", 0.4), objective("None", null), objective("A", 0.9), objective("C", 0.4)]);
    expect(sorted.map((o) => o.title)).toEqual(["A", "B", "C", "None"]);
  });
});
