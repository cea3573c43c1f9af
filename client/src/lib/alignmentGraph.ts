/**
 * The alignment map as a graph to draw: objectives are nodes; a link to a parent key result is drawn to that key
 * result's objective (labelled with the key result), so the picture reads objective → objective from the company
 * down. Laid out by lib/mapLayout.ts (in a web worker), filtered by lib/mapView.ts.
 */
import type { Schemas } from "../api/client";

export type MapObjective = Schemas["MapObjective"];

export interface GraphEdge {
  id: string;
  /** The parent objective (drawn above). */
  source: string;
  /** The aligned child objective. */
  target: string;
  kind: string;
  weight: number;
  viaKeyResult: string | null;
}

export interface Graph {
  nodes: MapObjective[];
  edges: GraphEdge[];
}

export function graphOf(map: Schemas["AlignmentMap"]): Graph {
  const nodes = map.objectives.filter((objective) => objective.state !== "archived");
  const ids = new Set(nodes.map((node) => node.id));
  const keyResults = new Map(map.key_results.map((kr) => [kr.id, kr]));
  const edges: GraphEdge[] = [];
  for (const edge of map.edges) {
    const viaKeyResult = edge.target_type === "key_result" ? (keyResults.get(edge.target) ?? null) : null;
    const parent = viaKeyResult ? viaKeyResult.objective_id : edge.target;
    if (!ids.has(parent) || !ids.has(edge.source)) continue;
    edges.push({
      id: edge.id,
      source: parent,
      target: edge.source,
      kind: edge.kind,
      weight: edge.weight,
      viaKeyResult: viaKeyResult?.title ?? null,
    });
  }
  return { nodes, edges };
}

/** "cascade · 100 %", "contributes · 30 % via Pipeline €" */
export function edgeLabel(edge: GraphEdge): string {
  return `${edge.kind} · ${Math.round(edge.weight * 100)} %${edge.viaKeyResult ? ` via ${edge.viaKeyResult}` : ""}`;
}
