import { describe, expect, it } from "vitest";
import { changedTargets, templatesByCategory } from "./templates";

describe("templates", () => {
  it("groups by category in library order", () => {
    const groups = templatesByCategory([
      { category: "pipeline" as const, source: "builtin" as const, id: "a" },
      { category: "brand" as const, source: "builtin" as const, id: "b" },
      { category: "pipeline" as const, source: "organisation" as const, id: "c" },
    ]);
    expect(groups.map((g) => [g.label, g.templates.map((t) => t.id)])).toEqual([
      ["Pipeline", ["a", "c"]],
      ["Brand", ["b"]],
    ]);
  });
  it("sends only changed targets, by index", () => {
    const template = { key_results: [{ target_value: 900 }, { target_value: 20 }, { target_value: 150 }] } as never;
    expect(changedTargets(template, { 0: "1200", 1: "20", 2: "x" })).toEqual({ targets: { "0": 1200 }, invalid: [2] });
  });
});
