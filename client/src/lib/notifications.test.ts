import { describe, expect, it } from "vitest";
import { appPath, badgeText, bellLabel, changedPreferences, kindLabel, preferenceRows } from "./notifications";

describe("kindLabel", () => {
  it("names every known kind in words", () => {
    for (const kind of [
      "mentioned",
      "comment_on_owned",
      "key_result_status",
      "objective_status",
      "check_in_due",
      "team_weekly_summary",
    ]) {
      expect(kindLabel(kind)).not.toBe(kind);
    }
    expect(kindLabel("mentioned")).toBe("Someone mentions you in a comment");
  });

  it("falls back to the raw name of a kind it does not know", () => {
    expect(kindLabel("budget_overrun")).toBe("budget_overrun");
  });
});

describe("preferenceRows", () => {
  it("lists known kinds in their order, then unknown ones by name, skipping values that are no channel", () => {
    const rows = preferenceRows({
      zeta_kind: "off",
      objective_status: "in_app",
      alpha_kind: "email",
      mentioned: "email",
      broken: "sometimes",
    });
    expect(rows.map((row) => row.kind)).toEqual(["mentioned", "objective_status", "alpha_kind", "zeta_kind"]);
    expect(rows[2]).toEqual({ kind: "alpha_kind", label: "alpha_kind", channel: "email" });
  });
});

describe("changedPreferences", () => {
  it("sends only the kinds whose channel changed", () => {
    const saved = { mentioned: "email", comment_on_owned: "in_app", objective_status: "in_app" };
    expect(
      changedPreferences(saved, { mentioned: "email", comment_on_owned: "off", objective_status: "in_app" }),
    ).toEqual({ comment_on_owned: "off" });
    expect(changedPreferences(saved, { mentioned: "email" })).toEqual({});
  });
});

describe("the bell", () => {
  it("shows no badge at zero and caps it at 99+", () => {
    expect(badgeText(undefined)).toBeNull();
    expect(badgeText(0)).toBeNull();
    expect(badgeText(7)).toBe("7");
    expect(badgeText(120)).toBe("99+");
  });

  it("says the count in its accessible name", () => {
    expect(bellLabel(undefined)).toBe("Notifications");
    expect(bellLabel(0)).toBe("Notifications, none unread");
    expect(bellLabel(3)).toBe("Notifications, 3 unread");
  });

  it("only ever navigates inside the app", () => {
    expect(appPath("/objectives/1")).toBe("/objectives/1");
    expect(appPath("//evil.example/x")).toBe("/scoreboard");
    expect(appPath("https://evil.example/")).toBe("/scoreboard");
    expect(appPath("")).toBe("/scoreboard");
  });
});
