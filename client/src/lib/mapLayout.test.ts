import { describe, expect, it } from "vitest";
import type { Schemas } from "../api/client";
import { graphOf } from "./alignmentGraph";
import { GUTTER, layoutMap, NODE_HEIGHT } from "./mapLayout";
import { lineOfSight, NO_FILTERS, treeOf, unalignedIds, visibleGraph } from "./mapView";

const objective = (id: string, change: Partial<Schemas["MapObjective"]> = {}): Schemas["MapObjective"] => ({
  id, cycle_id: "c", title: id, level: "team", team_id: "t1", owner_id: "m", kind: "committed", state: "active",
  progress_from: "key_results", progress: 0.5, expected_progress: 0.5, score: 0.5, status: "on_track", spend: "0.00",
  ...change,
});
const link = (id: string, child: string, parent: string, kind: "cascade" | "contributes" = "cascade", weight = 1) =>
  ({ id, source: child, target: parent, target_type: "objective" as const, kind, weight });

// An unaligned team objective sorts first by title: it must still not sit above the company.
const graph = graphOf({
  cycle_ids: ["c"],
  currency: "EUR",
  objectives: [
    objective("a-unaligned"),
    objective("company", { level: "company", team_id: null }),
    objective("marketing", { status: "at_risk" }),
    objective("web", { team_id: "t2" }),
    objective("noah", { level: "individual" }),
  ],
  key_results: [],
  edges: [link("e1", "marketing", "company"), link("e2", "web", "marketing", "contributes", 0.3), link("e3", "noah", "web")],
});
const unaligned = unalignedIds(graph);

describe("alignment map layout", () => {
  const layout = layoutMap({
    nodes: graph.nodes.map((n) => ({ id: n.id, level: n.level, sortKey: n.title })),
    edges: graph.edges,
    unaligned: [...unaligned],
    width: 1100,
  });
  const y = (id: string) => layout.positions[id]!.y;

  it("puts levels in rows, company on top, team below team parents, unaligned in their own lane at the bottom", () => {
    expect(unaligned).toEqual(new Set(["a-unaligned"]));
    expect(y("company")).toBeLessThan(y("marketing"));
    expect(y("marketing")).toBeLessThan(y("web"));
    expect(y("web")).toBeLessThan(y("noah"));
    expect(y("noah")).toBeLessThan(y("a-unaligned"));
    expect(layout.bands.map((b) => b.key)).toEqual(["company", "team", "individual", "unaligned"]);
    const lane = layout.bands[3]!;
    expect(y("a-unaligned")).toBeGreaterThanOrEqual(lane.y);
    expect(y("a-unaligned") + NODE_HEIGHT).toBeLessThanOrEqual(lane.y + lane.height);
  });

  it("keeps every node inside the width, right of the band labels, without overlaps", () => {
    for (const { x } of Object.values(layout.positions)) {
      expect(x).toBeGreaterThanOrEqual(GUTTER);
      expect(x + layout.nodeWidth).toBeLessThanOrEqual(1100);
    }
    expect(layout.width).toBe(1100);
  });

  it("scrolls sideways rather than shrinking nodes below their minimum", () => {
    const many = Array.from({ length: 12 }, (_, i) => ({ id: `n${i}`, level: "company", sortKey: `${i}` }));
    const wide = layoutMap({ nodes: many, edges: [], unaligned: [], width: 800 });
    expect(wide.nodeWidth).toBeGreaterThanOrEqual(168);
    expect(wide.width).toBeGreaterThan(800);
  });
});

describe("what the map shows", () => {
  it("filters by team, status and search", () => {
    const byTeam = visibleGraph(graph, { filters: { ...NO_FILTERS, team: "t2" }, collapsed: new Set(), focus: null });
    expect(byTeam.nodes.map((n) => n.id)).toEqual(["web"]);
    const byStatus = visibleGraph(graph, { filters: { ...NO_FILTERS, statuses: ["at_risk"] }, collapsed: new Set(), focus: null });
    expect(byStatus.nodes.map((n) => n.id)).toEqual(["marketing"]);
    const bySearch = visibleGraph(graph, { filters: { ...NO_FILTERS, search: "NOA" }, collapsed: new Set(), focus: null });
    expect(bySearch.nodes.map((n) => n.id)).toEqual(["noah"]);
  });

  it("collapses a subtree and focuses on one line of sight", () => {
    const folded = visibleGraph(graph, { filters: NO_FILTERS, collapsed: new Set(["marketing"]), focus: null });
    expect(folded.nodes.map((n) => n.id)).toEqual(["a-unaligned", "company", "marketing"]);
    expect(lineOfSight(graph, "web")).toEqual(new Set(["web", "marketing", "company", "noah"]));
    const focused = visibleGraph(graph, { filters: NO_FILTERS, collapsed: new Set(), focus: "web" });
    expect(focused.nodes.map((n) => n.id).sort()).toEqual(["company", "marketing", "noah", "web"]);
  });

  it("is an indented tree on a phone, company first and the unaligned last", () => {
    const tree = treeOf(graph, unaligned);
    expect(tree.map((item) => item.objective.id)).toEqual(["company", "a-unaligned"]);
    expect(tree[0]!.children[0]!.objective.id).toBe("marketing");
    expect(tree[0]!.children[0]!.children[0]!.via?.kind).toBe("contributes");
  });
});
