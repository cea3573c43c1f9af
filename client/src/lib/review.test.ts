import { describe, expect, it } from "vitest";
import { clock, confidenceChange, itemsToRecord, ownTeamId } from "./review";

const team = (id: string, name: string, lead_id: string | null, member_ids: string[]) => ({ id, name, lead_id, member_ids });

describe("review", () => {
  it("opens on the team the person leads, else one they belong to, never the alphabetically first", () => {
    const teams = [team("a", "Company", "olivia", ["olivia"]), team("m", "Marketing", "marcus", ["marcus", "dana"]), team("d", "Demand Gen", "dana", ["dana"])];
    expect(ownTeamId(teams, "dana")).toBe("d");
    expect(ownTeamId(teams, "marcus")).toBe("m");
    expect(ownTeamId([team("m", "Marketing", "x", ["leo"]), team("c", "Content", "y", ["noah"])], "leo")).toBe("m");
    expect(ownTeamId(teams, "nobody")).toBeNull();
    expect(ownTeamId(teams, null)).toBeNull();
  });

  it("shows a confidence rise as a plus and a drop as a minus", () => {
    expect(confidenceChange(3)).toBe("−3");
    expect(confidenceChange(-1)).toBe("+1");
    expect(confidenceChange(0)).toBe("");
    expect(confidenceChange(null)).toBe("");
  });

  it("counts the 15 minutes down and then over", () => {
    expect(clock(900)).toBe("15:00");
    expect(clock(61)).toBe("1:01");
    expect(clock(0)).toBe("0:00");
    expect(clock(-42)).toBe("−0:42");
  });

  it("records only items with a note or a decision, in agenda order", () => {
    const items = [{ key_result_id: "1" }, { key_result_id: "2" }, { key_result_id: "3" }];
    expect(itemsToRecord(items, { 3: { note: " late ", decision: "" }, 1: { note: "", decision: "Add a webinar" }, 2: { note: " ", decision: "" } })).toEqual([
      { key_result_id: "1", note: "", decisions: ["Add a webinar"] },
      { key_result_id: "3", note: "late", decisions: [] },
    ]);
  });
});
