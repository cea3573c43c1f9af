/**
 * The alignment map's layout: one band per level (company on top, then team, individual, and a lane for objectives
 * aligned to nothing), a band split in rows when objectives of one level align to each other, and the order inside a
 * row chosen so children sit under their parents (barycentre sweeps). Pure: it runs in a web worker
 * (components/map/layout.worker.ts) and in tests.
 */

export const NODE_HEIGHT = 76;
export const MIN_NODE_WIDTH = 168;
export const MAX_NODE_WIDTH = 250;
export const GAP_X = 14;
export const ROW_GAP = 38;
export const BAND_PAD = 10;
/** Room on the left for the band labels. */
export const GUTTER = 96;

export type BandKey = "company" | "team" | "individual" | "unaligned";
export const BAND_ORDER: BandKey[] = ["company", "team", "individual", "unaligned"];
export const BAND_LABEL: Record<BandKey, string> = {
  company: "Company",
  team: "Team",
  individual: "Individual",
  unaligned: "Aligned to nothing",
};

export interface LayoutNode {
  id: string;
  level: string;
  /** Stable order before any sweep (title, say). */
  sortKey: string;
}

export interface LayoutInput {
  nodes: LayoutNode[];
  /** parent → child */
  edges: { source: string; target: string }[];
  /** Objectives below company level with no parent at all. */
  unaligned: string[];
  /** The width the map has on screen. */
  width: number;
}

export interface MapLayout {
  positions: Record<string, { x: number; y: number }>;
  nodeWidth: number;
  width: number;
  height: number;
  bands: { key: BandKey; y: number; height: number }[];
}

export function bandOf(node: LayoutNode, unaligned: Set<string>): BandKey {
  if (unaligned.has(node.id)) return "unaligned";
  return node.level === "company" || node.level === "individual" ? node.level : "team";
}

/** Place a row's boxes as near their wishes as possible, in order, without overlap, inside [left, right]. */
function place(wishes: number[], width: number, left: number, right: number): number[] {
  const xs: number[] = [];
  wishes.forEach((wish, i) => xs.push(Math.max(wish, left, i > 0 ? xs[i - 1]! + width + GAP_X : left)));
  for (let i = xs.length - 1; i >= 0; i--) {
    xs[i] = Math.min(xs[i]!, i === xs.length - 1 ? right - width : xs[i + 1]! - width - GAP_X);
  }
  return xs;
}

export function layoutMap(input: LayoutInput): MapLayout {
  const unaligned = new Set(input.unaligned);
  const byId = new Map(input.nodes.map((node) => [node.id, node]));
  const parents = new Map<string, string[]>();
  const children = new Map<string, string[]>();
  for (const edge of input.edges) {
    if (!byId.has(edge.source) || !byId.has(edge.target) || edge.source === edge.target) continue;
    parents.set(edge.target, [...(parents.get(edge.target) ?? []), edge.source]);
    children.set(edge.source, [...(children.get(edge.source) ?? []), edge.target]);
  }
  const band = new Map(input.nodes.map((node) => [node.id, bandOf(node, unaligned)]));

  // Depth inside the band: one row further down for every parent of the same level above it.
  const depth = new Map<string, number>();
  const depthOf = (id: string, seen: Set<string>): number => {
    const known = depth.get(id);
    if (known !== undefined) return known;
    if (seen.has(id)) return 0; // a loop (refused by the API): stop here
    seen.add(id);
    const sameBand = (parents.get(id) ?? []).filter((p) => band.get(p) === band.get(id));
    const value = sameBand.length ? Math.max(...sameBand.map((p) => depthOf(p, seen) + 1)) : 0;
    depth.set(id, value);
    return value;
  };
  input.nodes.forEach((node) => depthOf(node.id, new Set()));

  const sorted = [...input.nodes].sort((a, b) => a.sortKey.localeCompare(b.sortKey));
  const rows: { band: BandKey; ids: string[] }[] = [];
  for (const key of BAND_ORDER) {
    const inBand = sorted.filter((node) => band.get(node.id) === key);
    const deepest = Math.max(-1, ...inBand.map((node) => depth.get(node.id) ?? 0));
    for (let d = 0; d <= deepest; d++) {
      const ids = inBand.filter((node) => depth.get(node.id) === d).map((node) => node.id);
      if (ids.length) rows.push({ band: key, ids });
    }
  }

  const widest = Math.max(1, ...rows.map((row) => row.ids.length));
  const room = Math.max(0, input.width - GUTTER);
  const nodeWidth = Math.max(MIN_NODE_WIDTH, Math.min(MAX_NODE_WIDTH, Math.floor((room - (widest - 1) * GAP_X) / widest)));
  const width = Math.max(input.width, GUTTER + widest * nodeWidth + (widest - 1) * GAP_X);
  const left = GUTTER;
  const right = width;

  // Start packed and centred, then sweep: down (follow parents), up (centre parents over children), down again.
  const x = new Map<string, number>();
  for (const row of rows) {
    const span = row.ids.length * nodeWidth + (row.ids.length - 1) * GAP_X;
    const start = left + (right - left - span) / 2;
    row.ids.forEach((id, i) => x.set(id, start + i * (nodeWidth + GAP_X)));
  }
  const centre = (id: string) => (x.get(id) ?? 0) + nodeWidth / 2;
  const sweep = (row: { ids: string[] }, neighbours: Map<string, string[]>) => {
    const wishes = row.ids.map((id) => {
      const near = (neighbours.get(id) ?? []).filter((n) => x.has(n));
      const wish = near.length ? near.reduce((sum, n) => sum + centre(n), 0) / near.length : centre(id);
      return { id, wish };
    });
    wishes.sort((a, b) => a.wish - b.wish || centre(a.id) - centre(b.id));
    row.ids = wishes.map((w) => w.id);
    place(wishes.map((w) => w.wish - nodeWidth / 2), nodeWidth, left, right).forEach((value, i) => x.set(row.ids[i]!, value));
  };
  rows.forEach((row) => sweep(row, parents));
  [...rows].reverse().forEach((row) => sweep(row, children));
  rows.forEach((row) => sweep(row, parents));

  const positions: MapLayout["positions"] = {};
  const bands: MapLayout["bands"] = [];
  let y = 0;
  let previous: BandKey | null = null;
  for (const row of rows) {
    if (row.band !== previous) {
      if (previous !== null) y += ROW_GAP - BAND_PAD * 2;
      bands.push({ key: row.band, y, height: 0 });
      y += BAND_PAD;
      previous = row.band;
    } else {
      y += ROW_GAP;
    }
    row.ids.forEach((id) => (positions[id] = { x: x.get(id) ?? left, y }));
    y += NODE_HEIGHT;
    const current = bands[bands.length - 1]!;
    current.height = y + BAND_PAD - current.y;
  }
  return { positions, nodeWidth, width, height: y + BAND_PAD, bands };
}
