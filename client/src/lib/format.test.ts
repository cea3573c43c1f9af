import { afterEach, describe, expect, it } from "vitest";
import { formatCompact, formatConfidence, formatDateTime, formatKeyResultValue, formatNumber, formatPercent, niceDomain, formatProgress, formatRelative, formatScore, formatValue, scoreBand, setDisplayTimeZone } from "./format";

describe("formatValue", () => {
  it.each([
    ["number with unit", 12000, "number", "leads", "12,000 leads"],
    ["number without unit", 1234.567, "number", "", "1,235"],
    ["small number keeps decimals", 12.345, "number", "", "12.35"],
    ["percent", 42.5, "percent", "", "42.5 %"],
    ["milestone done", 1, "milestone", "", "Done"],
    ["milestone not done", 0, "milestone", "", "Not done"],
  ] as const)("%s", (_, value, metric, unit, expected) => {
    expect(formatValue(value, metric, unit)).toBe(expected);
  });

  it("writes currency in the organisation's currency, without cents for large amounts", () => {
    expect(formatValue(18000, "currency", "", "EUR")).toBe("€18,000");
    expect(formatValue(12.5, "currency", "", "EUR")).toBe("€12.50");
    expect(formatValue(100, "currency", "", "USD")).toBe("US$100.00");
  });

  it("falls back to a plain number for an unknown currency code", () => {
    expect(formatValue(5, "currency", "", "not-a-code")).toBe("5 not-a-code");
  });
});

describe("formatKeyResultValue", () => {
  it("counts a milestone's steps: only the last one is done", () => {
    const steps = { metric: "milestone", unit: null, target_value: 3 } as const;
    expect(formatKeyResultValue(steps, 0)).toBe("0 of 3 steps");
    expect(formatKeyResultValue(steps, 1)).toBe("1 of 3 steps");
    expect(formatKeyResultValue(steps, 3)).toBe("Done");
    expect(formatKeyResultValue({ metric: "milestone", unit: null, target_value: 1 }, 1)).toBe("Done");
    expect(formatKeyResultValue({ metric: "number", unit: "leads", target_value: 10 }, 12000)).toBe("12,000 leads");
  });
});

describe("formatScore: the 0.0–1.0 grade", () => {
  it.each([
    [0.85, "0.85"], // the worked example of docs/concepts.md: 21,000 of a 18,000 target with a 24,000 stretch
    [0.7, "0.7"],
    [1, "1.0"],
    [0, "0.0"],
    [0.333333, "0.33"],
    [1.4, "1.0"], // grades never exceed 1.0
    [-0.2, "0.0"],
    [null, "—"],
  ])("%s → %s", (score, expected) => {
    expect(formatScore(score)).toBe(expected);
  });

  it("bands scores: 0.7 and above is a good grade", () => {
    expect(scoreBand(0.7)).toBe("good");
    expect(scoreBand(0.69)).toBe("partial");
    expect(scoreBand(0.39)).toBe("low");
    expect(scoreBand(null)).toBe("none");
  });
});

describe("progress, confidence, numbers, relative time", () => {
  it("shows progress beyond 100 % and below 0 as it is", () => {
    expect(formatProgress(1.1667)).toBe("117 %");
    expect(formatProgress(-0.25)).toBe("-25 %");
    expect(formatProgress(null)).toBe("—");
  });

  it("writes confidence out of ten", () => {
    expect(formatConfidence(7)).toBe("7/10");
    expect(formatConfidence(null)).toBe("—");
  });

  it("groups thousands", () => {
    expect(formatNumber(24000)).toBe("24,000");
  });

  it("labels chart axes compactly on round ranges", () => {
    expect(formatCompact(24000)).toBe("24k");
    expect(niceDomain([0, 9000, 21000, 24000, 12000])).toEqual([0, 25000]);
    expect(niceDomain([3, 5])).toEqual([3, 5]);
    expect(niceDomain([7, 7])).toEqual([3.5, 10.5]);
  });

  it("says how long ago", () => {
    const now = new Date("2026-07-01T12:00:00Z");
    expect(formatRelative("2026-07-01T11:59:50Z", now)).toBe("just now");
    expect(formatRelative("2026-06-28T12:00:00Z", now)).toBe("3 days ago");
    expect(formatRelative("2026-07-01T10:00:00Z", now)).toBe("2 hours ago");
    expect(formatRelative(null, now)).toBe("never");
  });
});

describe("times in the organisation's zone", () => {
  afterEach(() => setDisplayTimeZone(undefined));

  it("formats a moment in the organisation's zone, never as ISO", () => {
    setDisplayTimeZone("Asia/Tokyo");
    const shown = formatDateTime("2026-12-05T20:30:00Z");
    expect(shown).toMatch(/^6 Dec 2026, 05:30/);
    expect(shown).not.toContain("T20");
    expect(formatDateTime("2026-12-05T20:30:00Z", "Europe/Berlin")).toMatch(/^5 Dec 2026, 21:30/);
  });

  it("names the zone when the browser is elsewhere, and survives bad input", () => {
    const browser = Intl.DateTimeFormat().resolvedOptions().timeZone;
    const other = browser === "Asia/Tokyo" ? "Europe/Berlin" : "Asia/Tokyo";
    expect(formatDateTime("2026-06-01T00:00:00Z", other)).toMatch(/(GMT|UTC|[A-Z]{3,4})/);
    expect(formatDateTime("not a date")).toBe("—");
    expect(formatDateTime("2026-06-01T00:00:00Z", "Not/AZone")).toMatch(/2026/);
  });

  it("writes percentages one way", () => {
    expect(formatPercent(0.684)).toBe("68 %");
    expect(formatPercent(undefined)).toBe("—");
  });
});
