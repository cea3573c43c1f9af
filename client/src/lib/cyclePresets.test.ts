import { describe, expect, it } from "vitest";
import { cyclePresets } from "./cyclePresets";

describe("cyclePresets", () => {
  it("counts calendar quarters for a January fiscal start", () => {
    const [thisQuarter, nextQuarter, thisYear] = cyclePresets("2026-08-10", 1);
    expect(thisQuarter).toMatchObject({ name: "Q3 2026", start_date: "2026-07-01", end_date: "2026-09-30" });
    expect(thisQuarter?.year).toEqual({ start_date: "2026-01-01", end_date: "2026-12-31" });
    expect(nextQuarter).toMatchObject({ name: "Q4 2026", start_date: "2026-10-01", end_date: "2026-12-31" });
    expect(thisYear).toMatchObject({ name: "2026", start_date: "2026-01-01", end_date: "2026-12-31" });
  });

  it("follows an April fiscal year across the calendar year", () => {
    const [thisQuarter, nextQuarter, thisYear] = cyclePresets("2027-02-14", 4);
    expect(thisQuarter).toMatchObject({ name: "Q4 FY2027", start_date: "2027-01-01", end_date: "2027-03-31" });
    expect(nextQuarter).toMatchObject({ name: "Q1 FY2028", start_date: "2027-04-01", end_date: "2027-06-30" });
    expect(thisYear).toMatchObject({ name: "FY2027", start_date: "2026-04-01", end_date: "2027-03-31" });
  });

  it("ends February on its last day and wraps the next quarter into the next year", () => {
    const [thisQuarter, nextQuarter] = cyclePresets("2028-12-31", 12);
    expect(thisQuarter).toMatchObject({ start_date: "2028-12-01", end_date: "2029-02-28", name: "Q1 FY2029" });
    expect(nextQuarter).toMatchObject({ start_date: "2029-03-01", end_date: "2029-05-31", name: "Q2 FY2029" });
  });
});
