import { describe, expect, it } from "vitest";
import { healthyRangeText, kpiBody, kpiChartPoints, kpiDraft, kpiDraftErrors, kpiThresholds } from "./kpis";

describe("KPI read-outs", () => {
  it("orders values oldest first for the chart", () => {
    const points = kpiChartPoints([
      { recorded_at: "2026-06-30T00:00:00Z", value: 1250 },
      { recorded_at: "2026-05-31T00:00:00Z", value: 900 },
    ]);
    expect(points.map((p) => p.value)).toEqual([900, 1250]);
  });
  it("draws the healthy and critical bounds", () => {
    const lines = kpiThresholds({ healthy_min: 1000, healthy_max: null, critical_min: 700, critical_max: null });
    expect(lines.map((l) => l.y)).toEqual([1000, 700]);
    expect(healthyRangeText({ healthy_min: 1000, healthy_max: null, unit: "k€" })).toBe("at least 1,000 k€");
    expect(healthyRangeText({ healthy_min: null, healthy_max: 300, unit: "" })).toBe("at most 300");
  });
});

describe("the KPI form", () => {
  it("asks for the bound its direction needs", () => {
    const draft = { ...kpiDraft(), name: "CAC", direction: "lower_is_better" as const };
    expect(kpiDraftErrors(draft)).toEqual({ healthy_max: "Lower is better: give the healthy ceiling" });
    expect(kpiDraftErrors({ ...draft, healthy_max: "300", critical_max: "250" })).toEqual({
      critical_max: "At least the healthy maximum",
    });
  });
  it("sends numbers and nulls", () => {
    const body = kpiBody({ ...kpiDraft(), name: " Pipeline ", healthy_min: "1000", critical_min: "700" });
    expect(body).toMatchObject({ name: "Pipeline", healthy_min: 1000, critical_min: 700, healthy_max: null });
    expect(kpiDraftErrors({ ...kpiDraft(), name: "x", healthy_min: "abc" })).toEqual({ healthy_min: "Enter a number" });
  });
});
