/**
 * The alignment map on a wide screen: one band per level (company on top), objectives aligned to nothing in their own
 * lane, links drawn from parent to child (solid: cascade; dashed: contributes; width and label: the weight).
 */
import { ActionIcon, Badge, Group, Paper, Text, Tooltip } from "@mantine/core";
import { useElementSize } from "@mantine/hooks";
import { IconChevronDown, IconChevronRight, IconFocusCentered } from "@tabler/icons-react";
import { useMemo } from "react";
import { Link } from "react-router";
import { edgeLabel, type Graph, type GraphEdge, type MapObjective } from "../../lib/alignmentGraph";
import { formatPercent, formatProgress } from "../../lib/format";
import { BAND_LABEL, GUTTER, type LayoutInput, type MapLayout, NODE_HEIGHT } from "../../lib/mapLayout";
import { money } from "../../lib/money";
import { STATUS_LABEL } from "../../lib/status";
import { Loading } from "../QueryState";
import { type MapNodeProps, statusColour } from "./mapParts";
import { useMapLayout } from "./useMapLayout";

/** Edge end points spread along the node's side, in the order of the nodes at the other end. */
function endpoints(graph: Graph, layout: MapLayout) {
  const pos = layout.positions;
  const w = layout.nodeWidth;
  const slots = new Map<string, number>();
  const spread = (key: (e: GraphEdge) => string, other: (e: GraphEdge) => string, prefix: string) => {
    const groups = new Map<string, GraphEdge[]>();
    for (const edge of graph.edges) groups.set(key(edge), [...(groups.get(key(edge)) ?? []), edge]);
    for (const [id, edges] of groups) {
      edges.sort((a, b) => (pos[other(a)]?.x ?? 0) - (pos[other(b)]?.x ?? 0));
      edges.forEach((edge, i) => slots.set(`${prefix}${edge.id}`, (pos[id]?.x ?? 0) + (w * (i + 1)) / (edges.length + 1)));
    }
  };
  spread((e) => e.source, (e) => e.target, "from:");
  spread((e) => e.target, (e) => e.source, "to:");
  return slots;
}

function Edges({ graph, layout }: { graph: Graph; layout: MapLayout }) {
  const slots = useMemo(() => endpoints(graph, layout), [graph, layout]);
  return (
    <svg width={layout.width} height={layout.height} style={{ position: "absolute", inset: 0 }} aria-hidden>
      <defs>
        <marker id="map-arrow" viewBox="0 0 10 10" refX="8" refY="5" markerWidth="9" markerHeight="9" markerUnits="userSpaceOnUse" orient="auto-start-reverse">
          <path d="M 0 0 L 10 5 L 0 10 z" fill="context-stroke" />
        </marker>
      </defs>
      {graph.edges.map((edge) => {
        const from = layout.positions[edge.source];
        const to = layout.positions[edge.target];
        if (!from || !to) return null;
        const x1 = slots.get(`from:${edge.id}`) ?? from.x;
        const y1 = from.y + NODE_HEIGHT;
        const x2 = slots.get(`to:${edge.id}`) ?? to.x;
        const y2 = to.y;
        const bend = Math.max(24, Math.abs(y2 - y1) / 2);
        const contributes = edge.kind === "contributes";
        return (
          <g key={edge.id} data-testid="map-edge" className={`map-edge edge-${edge.kind}`} data-weight={edge.weight}>
            <title>{edgeLabel(edge)}</title>
            <path
              d={`M ${x1} ${y1} C ${x1} ${y1 + bend} ${x2} ${y2 - bend} ${x2} ${y2}`}
              fill="none"
              stroke={contributes ? "var(--mantine-color-violet-7)" : "var(--mantine-color-gray-7)"}
              strokeWidth={1 + edge.weight * 3}
              strokeDasharray={contributes ? "7 4" : undefined}
              markerStart="url(#map-arrow)"
            />
            <text
              x={(x1 + x2) / 2}
              y={(y1 + y2) / 2 + 4}
              textAnchor="middle"
              fontSize={11}
              fill="var(--mantine-color-gray-9)"
              stroke="var(--mantine-color-body)"
              strokeWidth={4}
              paintOrder="stroke"
            >
              {formatPercent(edge.weight)}
            </text>
          </g>
        );
      })}
    </svg>
  );
}

function MapNode({ objective, width, mark, team, currency, children, collapsed, focused, onToggle, onFocus }: MapNodeProps & { width: number }) {
  const colour = statusColour(objective.status);
  return (
    <Tooltip label={`Spend ${money(objective.spend, currency)} · progress ${formatProgress(objective.progress)}`} openDelay={300}>
      <Paper
        withBorder
        h={NODE_HEIGHT}
        w={width}
        px={8}
        py={6}
        style={{ borderLeft: `5px solid ${colour}`, overflow: "hidden", outline: focused ? `2px solid var(--mantine-color-blue-7)` : undefined }}
      >
        <Group gap={4} wrap="nowrap" align="flex-start">
          <Text
            component={Link}
            to={`/objectives/${objective.id}`}
            fz={13}
            fw={600}
            lh={1.25}
            lineClamp={2}
            c="dark.9"
            style={{ flex: 1, textDecoration: "none" }}
            data-testid="map-node-title"
          >
            {objective.title}
          </Text>
          <ActionIcon
            variant={focused ? "filled" : "subtle"}
            color="blue.8"
            size="sm"
            aria-label={`Line of sight of ${objective.title}`}
            aria-pressed={focused}
            onClick={() => onFocus(objective.id)}
          >
            <IconFocusCentered size={16} aria-hidden />
          </ActionIcon>
        </Group>
        <Group gap={6} wrap="nowrap" mt={4}>
          <Text fz={12} fw={600} style={{ whiteSpace: "nowrap" }}>
            {STATUS_LABEL[objective.status]} · {formatProgress(objective.progress)}
          </Text>
          <Text fz={12} c="gray.7" truncate style={{ flex: 1, minWidth: 0 }}>
            {team}
          </Text>
          {mark && (
            <Badge size="xs" variant="outline" color="indigo.8" data-testid="map-enclosing-mark" title={`From ${mark}`}>
              {mark}
            </Badge>
          )}
          {children > 0 && (
            <ActionIcon
              variant="subtle"
              color="gray.8"
              size="sm"
              aria-expanded={!collapsed}
              aria-label={`${collapsed ? "Expand" : "Collapse"} the ${children} objective${children === 1 ? "" : "s"} under ${objective.title}`}
              onClick={() => onToggle(objective.id)}
            >
              {collapsed ? <IconChevronRight size={16} aria-hidden /> : <IconChevronDown size={16} aria-hidden />}
            </ActionIcon>
          )}
        </Group>
      </Paper>
    </Tooltip>
  );
}

export function MapCanvas({
  graph,
  unaligned,
  nodeProps,
}: {
  graph: Graph;
  unaligned: Set<string>;
  nodeProps: (objective: MapObjective) => MapNodeProps;
}) {
  const { ref, width } = useElementSize();
  const rounded = Math.floor(width / 8) * 8;
  const input = useMemo<LayoutInput | null>(
    () =>
      rounded > 0
        ? {
            nodes: graph.nodes.map((node) => ({ id: node.id, level: node.level, sortKey: `${node.team_id ?? ""} ${node.title}` })),
            edges: graph.edges.map((edge) => ({ source: edge.source, target: edge.target })),
            unaligned: graph.nodes.filter((node) => unaligned.has(node.id)).map((node) => node.id),
            width: rounded,
          }
        : null,
    [graph, unaligned, rounded],
  );
  const { layout, current } = useMapLayout(input);
  return (
    <div ref={ref} style={{ overflowX: "auto", width: "100%" }} data-testid="alignment-map" data-layout={current ? "ready" : "pending"}>
      {!layout ? (
        <Loading label="Laying out the map" />
      ) : (
        <div style={{ position: "relative", width: layout.width, height: layout.height }} role="group" aria-label="Alignment map">
          {layout.bands.map((band) => (
            <div
              key={band.key}
              data-testid={`map-band-${band.key}`}
              style={{
                position: "absolute",
                left: 0,
                top: band.y,
                width: layout.width,
                height: band.height,
                borderRadius: 6,
                background: band.key === "unaligned" ? "var(--mantine-color-orange-0)" : "var(--mantine-color-gray-0)",
                border: band.key === "unaligned" ? "1px dashed var(--mantine-color-orange-7)" : undefined,
              }}
            >
              <Text fz={12} fw={700} c="gray.8" w={GUTTER - 12} p={8} component="h2">
                {BAND_LABEL[band.key]}
              </Text>
            </div>
          ))}
          <Edges graph={graph} layout={layout} />
          <ul style={{ listStyle: "none", margin: 0, padding: 0 }} aria-label="Objectives on the map">
            {graph.nodes.map((objective) => {
              const at = layout.positions[objective.id];
              if (!at) return null;
              return (
                <li
                  key={objective.id}
                  style={{ position: "absolute", left: at.x, top: at.y }}
                  data-testid="map-node"
                  data-objective-id={objective.id}
                  data-status={objective.status}
                  data-lane={unaligned.has(objective.id) ? "unaligned" : objective.level}
                >
                  <MapNode {...nodeProps(objective)} width={layout.nodeWidth} />
                </li>
              );
            })}
          </ul>
        </div>
      )}
    </div>
  );
}

