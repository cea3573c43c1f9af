import { describe, expect, it } from "vitest";
import {
  ambition,
  ambitionText,
  baselineOf,
  carryOverBody,
  isLowAmbition,
  liveAmbition,
  previousCycle,
} from "./planning";

describe("ambition, as the API computes it", () => {
  it("gives the seed example 0.5: previous 12,000, start 0, target 18,000", () => {
    expect(ambition(0, 18_000, 12_000)).toBe(0.5);
    expect(ambitionText(0.5)).toBe("Ambition +50 % on last period");
  });
  it("has no value without a baseline or when the baseline is the start", () => {
    expect(ambition(0, 18_000, null)).toBeNull();
    expect(ambition(100, 180, 100)).toBeNull();
    expect(ambitionText(null)).toMatch(/No baseline/);
  });
  it("measures a carried level from its original's start (ARR 100 -> 250, carried as 250)", () => {
    const starts = new Map([["orig", 100]]);
    const level = { accumulation: "level" as const, carried_from: "orig" };
    expect(baselineOf(level, starts)).toBe(100);
    expect(baselineOf({ ...level, accumulation: "cumulative" as const }, starts)).toBeUndefined();
    expect(baselineOf({ ...level, carried_from: null }, starts)).toBeUndefined();
    expect(ambition(250, 475, 250, 100)).toBe(0.5); // a step of 225 against last cycle's 150
    expect(ambition(250, 475, 250)).toBeNull(); // without the original's start: no comparable step
  });
  it("measures decreases the same way", () => {
    // CAC from 400: last time down to 300 (a step of 100), now aiming at 250 (a step of 150).
    expect(ambition(400, 250, 300)).toBeCloseTo(0.5);
  });
  it("flags at or below the threshold", () => {
    expect(isLowAmbition(0)).toBe(true);
    expect(isLowAmbition(-0.2)).toBe(true);
    expect(isLowAmbition(0.1)).toBe(false);
    expect(isLowAmbition(0.1, 0.2)).toBe(true);
    expect(isLowAmbition(null)).toBe(false);
    expect(ambitionText(-0.25)).toBe("Ambition −25 % on last period");
  });
  it("follows what is typed, else the saved target", () => {
    const kr = { start_value: 0, target_value: 12_000, previous_value: 12_000 };
    expect(liveAmbition(kr, undefined)).toBe(0);
    expect(liveAmbition(kr, "18000")).toBe(0.5);
    expect(liveAmbition(kr, "")).toBe(0);
    expect(liveAmbition(kr, "abc")).toBe(0);
  });
});

describe("previousCycle", () => {
  const cycle = (id: string, start: string, end: string, state: "planning" | "active" | "closed") => ({
    id,
    start_date: start,
    end_date: end,
    state,
    parent_id: null,
  });
  it("picks the last quarter before a planned quarter, not the year around it", () => {
    const year = cycle("y", "2026-01-01", "2026-12-31", "active");
    const q1 = cycle("q1", "2026-01-01", "2026-03-31", "closed");
    const q2 = cycle("q2", "2026-04-01", "2026-06-30", "active");
    const q3 = cycle("q3", "2026-07-01", "2026-09-30", "planning");
    expect(previousCycle([year, q1, q2, q3], q3)?.id).toBe("q2");
    expect(previousCycle([year, q3], q3)).toBeNull();
  });
});

describe("carryOverBody", () => {
  const objectives = [
    { id: "o1", key_results: [{ id: "k1", archived: false }, { id: "k2", archived: false }] },
    { id: "o2", key_results: [{ id: "k3", archived: false }, { id: "k4", archived: true }] },
    { id: "o3", key_results: [{ id: "k5", archived: false }] },
  ];
  it("names key results only when some are left out", () => {
    expect(carryOverBody({ o1: ["k1"], o2: ["k3"], o3: [] }, objectives, "c1", true)).toEqual({
      source_cycle_id: "c1",
      objectives: [{ objective_id: "o1", key_result_ids: ["k1"] }, { objective_id: "o2" }],
      include_initiatives: true,
      dry_run: true,
    });
  });
});
