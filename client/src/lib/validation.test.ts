import { describe, expect, it } from "vitest";
import {
  emptyKeyResultDraft,
  keyResultBody,
  keyResultChanges,
  type KeyResultDraft,
  parseNumber,
  validateCheckIn,
  validateCycle,
  validateKeyResult,
  validatePasswordChange,
} from "./validation";

const draft = (change: Partial<KeyResultDraft>): KeyResultDraft => ({ ...emptyKeyResultDraft(), title: "Leads", ...change });

describe("parseNumber", () => {
  it.each([
    ["12,000", 12000],
    ["12 000", 12000],
    ["€18,000", 18000],
    ["42.5%", 42.5],
    ["", null],
  ])("%s → %s", (text, value) => expect(parseNumber(text)).toBe(value));

  it("is NaN for text that is no number", () => expect(parseNumber("lots")).toBeNaN());
});

describe("key result rules (mirroring the API's 422s)", () => {
  it("accepts the seed example: start 0, target 18,000, stretch 24,000, previous 12,000", () => {
    expect(validateKeyResult(draft({ target_value: "18000", stretch_value: "24000", previous_value: "12000" }))).toEqual({});
  });

  it.each([
    ["increase needs target above start", { start_value: "10", target_value: "5" }, "target_value"],
    ["decrease needs target below start", { direction: "decrease", start_value: "5", target_value: "10" }, "target_value"],
    ["stretch lies beyond the target (increase)", { target_value: "100", stretch_value: "90" }, "stretch_value"],
    ["stretch lies beyond the target (decrease)", { direction: "decrease", start_value: "100", target_value: "50", stretch_value: "60" }, "stretch_value"],
    ["a target is required", { target_value: "" }, "target_value"],
    ["a title is required", { title: " ", target_value: "5" }, "title"],
    ["weight in (0, 100]", { target_value: "5", weight: "0" }, "weight"],
  ] as const)("%s", (_, change, field) => {
    expect(Object.keys(validateKeyResult(draft(change as Partial<KeyResultDraft>)))).toContain(field);
  });

  it("keeps milestone dates inside the cycle", () => {
    const errors = validateKeyResult(
      draft({ target_value: "100", milestone_plan: [{ date: "2027-02-01", value: "50" }] }),
      { start_date: "2026-01-01", end_date: "2026-12-31" },
    );
    expect(errors["milestone_plan.0.date"]).toBe("Inside the cycle");
  });

  it("a milestone key result needs no numbers and is sent as 0 → 1", () => {
    const milestone = draft({ metric: "milestone", target_value: "", start_value: "" });
    expect(validateKeyResult(milestone)).toEqual({});
    expect(keyResultBody(milestone, "o1")).toMatchObject({ start_value: 0, target_value: 1, direction: "increase" });
    const steps = draft({ metric: "milestone", target_value: "3", start_value: "" });
    expect(validateKeyResult(steps)).toEqual({});
    expect(keyResultBody(steps, "o1")).toMatchObject({ start_value: 0, target_value: 3 });
    expect(validateKeyResult(draft({ metric: "milestone", target_value: "2.5" }))).toHaveProperty("target_value");
  });

  it("builds the create body with numbers and without empty optionals", () => {
    expect(keyResultBody(draft({ target_value: "18,000", stretch_value: "", cadence: "monthly" }), "o1")).toEqual({
      objective_id: "o1",
      title: "Leads",
      metric: "number",
      direction: "increase",
      unit: "",
      start_value: 0,
      target_value: 18000,
      stretch_value: null,
      previous_value: null,
      weight: 1,
      cadence: "monthly",
      owner_id: null,
      milestone_plan: [],
      accumulation: "cumulative",
      follows_kpi_id: null,
    });
  });

  it("an edit sends only what changed", () => {
    const before = draft({ target_value: "100" });
    expect(keyResultChanges(before, { ...before, target_value: "120", title: "Leads" })).toEqual({ target_value: 120 });
    expect(keyResultChanges(before, before)).toEqual({});
  });

  it("follows a KPI, stops following it (null), and says how it counts", () => {
    const following = draft({ target_value: "100", follows_kpi_id: "kpi-1" });
    expect(keyResultChanges(draft({ target_value: "100" }), following)).toEqual({ follows_kpi_id: "kpi-1" });
    expect(keyResultChanges(following, { ...following, follows_kpi_id: "" })).toEqual({ follows_kpi_id: null });
    expect(keyResultChanges(following, { ...following, accumulation: "level" })).toEqual({ accumulation: "level" });
    // A milestone takes its steps only: it never follows a KPI.
    expect(keyResultBody({ ...following, metric: "milestone", target_value: "1" }, "o1").follows_kpi_id).toBeNull();
  });
});

describe("check-in and cycle rules", () => {
  it("confidence is a whole number from 0 to 10", () => {
    expect(validateCheckIn({ value: "5", confidence: "11", note: "" }, "number")).toHaveProperty("confidence");
    expect(validateCheckIn({ value: "5", confidence: "7", note: "" }, "number")).toEqual({});
    expect(validateCheckIn({ value: "", confidence: "", note: "" }, "number")).toHaveProperty("value");
    expect(validateCheckIn({ value: "0.5", confidence: "", note: "" }, "milestone")).toHaveProperty("value");
    expect(validateCheckIn({ value: "2", confidence: "", note: "" }, "milestone")).toHaveProperty("value");
    expect(validateCheckIn({ value: "2", confidence: "", note: "" }, "milestone", 3)).toEqual({});
    expect(validateCheckIn({ value: "4", confidence: "", note: "" }, "milestone", 3)).toHaveProperty("value");
  });

  it("a cycle ends after it starts", () => {
    expect(validateCycle({ name: "Q1", start_date: "2026-03-31", end_date: "2026-01-01" })).toHaveProperty("end_date");
    expect(validateCycle({ name: "Q1", start_date: "2026-01-01", end_date: "2026-03-31" })).toEqual({});
  });
});

describe("password change (mirroring the API's password length: 12 to 256 characters)", () => {
  const change = (new_password: string, confirmation = new_password, current_password = "old password 1") =>
    validatePasswordChange({ current_password, new_password, confirmation });

  it("accepts a long enough new password typed twice", () => expect(change("correct horse battery")).toEqual({}));

  it("asks for the current password", () =>
    expect(change("correct horse battery", undefined, "")).toEqual({ current_password: "Enter your current password" }));

  it("counts characters as the API does: twelve emoji are twelve characters", () => {
    expect(change("🔑".repeat(12))).toEqual({});
    expect(change("🔑".repeat(11)).new_password).toMatch(/At least 12 characters \(11 so far\)/);
  });

  it("refuses more than 256 characters", () => expect(change("x".repeat(257)).new_password).toMatch(/At most 256/));

  it("refuses the current password again", () =>
    expect(change("old password 1").new_password).toMatch(/other than the current one/));

  it("wants the confirmation to match", () =>
    expect(change("correct horse battery", "correct horse batery")).toEqual({
      confirmation: "Type the new password again, exactly",
    }));
});
