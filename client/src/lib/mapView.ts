/**
 * What the alignment map shows: the filters (team, status, search), collapsed subtrees and the focus on one
 * objective's line of sight, applied the same way to the canvas and to the phone's indented tree.
 */
import type { Status } from "./status";
import type { Graph, GraphEdge, MapObjective } from "./alignmentGraph";

export interface MapFilters {
  search: string;
  /** A team id, or null for every team. */
  team: string | null;
  /** Empty: every status. */
  statuses: Status[];
}

export const NO_FILTERS: MapFilters = { search: "", team: null, statuses: [] };

export interface MapView {
  filters: MapFilters;
  collapsed: ReadonlySet<string>;
  focus: string | null;
}

/** Objectives below company level aligned to nothing (no parent at all, whatever is filtered). */
export function unalignedIds(graph: Graph): Set<string> {
  const withParent = new Set(graph.edges.map((edge) => edge.target));
  return new Set(graph.nodes.filter((node) => node.level !== "company" && !withParent.has(node.id)).map((node) => node.id));
}

export function matches(objective: MapObjective, filters: MapFilters): boolean {
  const search = filters.search.trim().toLocaleLowerCase();
  return (
    (!search || objective.title.toLocaleLowerCase().includes(search)) &&
    (filters.team === null || objective.team_id === filters.team) &&
    (filters.statuses.length === 0 || filters.statuses.includes(objective.status))
  );
}

function reach(start: string, next: Map<string, string[]>): Set<string> {
  const seen = new Set<string>([start]);
  const queue = [start];
  while (queue.length) {
    for (const id of next.get(queue.pop()!) ?? []) {
      if (!seen.has(id)) {
        seen.add(id);
        queue.push(id);
      }
    }
  }
  return seen;
}

function adjacency(edges: GraphEdge[]) {
  const up = new Map<string, string[]>();
  const down = new Map<string, string[]>();
  for (const edge of edges) {
    up.set(edge.target, [...(up.get(edge.target) ?? []), edge.source]);
    down.set(edge.source, [...(down.get(edge.source) ?? []), edge.target]);
  }
  return { up, down };
}

/** The objective, everything it aligns to (up to the company) and everything aligned to it. */
export function lineOfSight(graph: Graph, id: string): Set<string> {
  const { up, down } = adjacency(graph.edges);
  return new Set([...reach(id, up), ...reach(id, down)]);
}

/** How many objectives hang directly under each objective. */
export function childCounts(graph: Graph): Map<string, number> {
  const counts = new Map<string, number>();
  for (const edge of graph.edges) counts.set(edge.source, (counts.get(edge.source) ?? 0) + 1);
  return counts;
}

/**
 * The graph to draw: the focus's line of sight (if any), the objectives matching the filters, minus what hangs only
 * under collapsed objectives (an objective with another expanded parent stays).
 */
export function visibleGraph(graph: Graph, view: MapView): Graph {
  const sight = view.focus ? lineOfSight(graph, view.focus) : null;
  const shown = new Set(
    graph.nodes.filter((node) => (!sight || sight.has(node.id)) && matches(node, view.filters)).map((node) => node.id),
  );
  const { up } = adjacency(graph.edges.filter((edge) => shown.has(edge.source) && shown.has(edge.target)));
  const hidden = new Set<string>();
  for (let changed = true; changed; ) {
    changed = false;
    for (const id of shown) {
      const parents = up.get(id) ?? [];
      if (!hidden.has(id) && parents.length && parents.every((p) => view.collapsed.has(p) || hidden.has(p))) {
        hidden.add(id);
        changed = true;
      }
    }
  }
  const visible = (id: string) => shown.has(id) && !hidden.has(id);
  return {
    nodes: graph.nodes.filter((node) => visible(node.id)),
    edges: graph.edges.filter((edge) => visible(edge.source) && visible(edge.target)),
  };
}

export interface TreeItem {
  objective: MapObjective;
  /** The link to the parent it sits under (null at the top). */
  via: GraphEdge | null;
  children: TreeItem[];
}

const LEVEL_RANK: Record<string, number> = { company: 0, team: 1, individual: 2 };

/** The visible graph as an indented tree: roots are objectives with no visible parent; an objective aligned to two
 * parents appears under each. */
export function treeOf(graph: Graph, unaligned: Set<string>): TreeItem[] {
  const byId = new Map(graph.nodes.map((node) => [node.id, node]));
  const { down } = adjacency(graph.edges);
  const edgesFrom = new Map<string, GraphEdge[]>();
  for (const edge of graph.edges) edgesFrom.set(edge.source, [...(edgesFrom.get(edge.source) ?? []), edge]);
  const order = (a: MapObjective, b: MapObjective) =>
    Number(unaligned.has(a.id)) - Number(unaligned.has(b.id)) ||
    (LEVEL_RANK[a.level] ?? 1) - (LEVEL_RANK[b.level] ?? 1) ||
    a.title.localeCompare(b.title);
  const build = (objective: MapObjective, via: GraphEdge | null, path: Set<string>): TreeItem => ({
    objective,
    via,
    children: (edgesFrom.get(objective.id) ?? [])
      .filter((edge) => !path.has(edge.target) && byId.has(edge.target))
      .sort((a, b) => order(byId.get(a.target)!, byId.get(b.target)!))
      .map((edge) => build(byId.get(edge.target)!, edge, new Set([...path, edge.target]))),
  });
  const hasParent = new Set([...down.values()].flat());
  return graph.nodes
    .filter((node) => !hasParent.has(node.id))
    .sort(order)
    .map((node) => build(node, null, new Set([node.id])));
}
