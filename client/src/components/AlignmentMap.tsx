/** The cycle's objectives as a laid-out graph: nodes coloured by status, spend on hover, a link into each node. */
import { Badge, Group, Paper, Stack, Text, Tooltip } from "@mantine/core";
import {
  Background,
  Controls,
  type Edge,
  Handle,
  MarkerType,
  MiniMap,
  type Node,
  type NodeProps,
  Position,
  ReactFlow,
} from "@xyflow/react";
import "@xyflow/react/dist/style.css";
import ELK from "elkjs/lib/elk.bundled.js";
import { useEffect, useMemo, useState } from "react";
import { Link, useNavigate } from "react-router";
import { edgeLabel, type Graph, layoutGraph, type MapObjective, NODE_HEIGHT, NODE_WIDTH } from "../lib/alignmentGraph";
import { formatProgress, formatValue } from "../lib/format";
import { LEVEL_LABEL, STATUS_COLOR, STATUS_LABEL } from "../lib/status";
import { Loading } from "./QueryState";

type ObjectiveNodeData = { objective: MapObjective; team: string; currency: string };
type ObjectiveFlowNode = Node<ObjectiveNodeData, "objective">;

function cssColor(color: string): string {
  return color.startsWith("#") ? color : `var(--mantine-color-${color.replace(".", "-")})`;
}

function ObjectiveNode({ data }: NodeProps<ObjectiveFlowNode>) {
  const { objective, team, currency } = data;
  const colour = cssColor(STATUS_COLOR[objective.status]);
  const spend = Number(objective.spend);
  return (
    <Tooltip
      label={`${STATUS_LABEL[objective.status]} · progress ${formatProgress(objective.progress)} · spend ${formatValue(spend, "currency", "", currency)}`}
      withinPortal
    >
      <Paper
        withBorder
        p={8}
        w={NODE_WIDTH}
        h={NODE_HEIGHT}
        style={{ borderLeft: `6px solid ${colour}`, overflow: "hidden" }}
        data-testid="map-node"
        data-status={objective.status}
      >
        <Handle type="target" position={Position.Top} isConnectable={false} />
        <Stack gap={4}>
          <Text
            component={Link}
            to={`/objectives/${objective.id}`}
            size="sm"
            fw={600}
            lineClamp={2}
            c="dark.9"
            style={{ textDecoration: "none" }}
            className="nodrag"
          >
            {objective.title}
          </Text>
          <Group gap={6} wrap="nowrap">
            <Badge size="xs" variant="outline" color="gray.8">
              {LEVEL_LABEL[objective.level] ?? objective.level}
            </Badge>
            <Text size="xs" c="dimmed" truncate>
              {team} · {formatProgress(objective.progress)}
            </Text>
          </Group>
          <div style={{ height: 4, borderRadius: 2, background: "var(--mantine-color-gray-2)" }} aria-hidden>
            <div
              style={{
                width: `${Math.max(0, Math.min(1, objective.progress ?? 0)) * 100}%`,
                height: 4,
                borderRadius: 2,
                background: colour,
              }}
            />
          </div>
        </Stack>
        <Handle type="source" position={Position.Bottom} isConnectable={false} />
      </Paper>
    </Tooltip>
  );
}

const nodeTypes = { objective: ObjectiveNode };
const elk = new ELK();

export function AlignmentMap({
  graph,
  teamName,
  currency,
}: {
  graph: Graph;
  teamName: (id: string | null) => string;
  currency: string;
}) {
  const navigate = useNavigate();
  // The layout of the graph it was computed for: a new graph shows no positions until its own layout is done.
  const [layout, setLayout] = useState<{ of: Graph; positions: Map<string, { x: number; y: number }> } | null>(null);
  const positions = layout?.of === graph ? layout.positions : null;
  const [layoutError, setLayoutError] = useState<string | null>(null);

  useEffect(() => {
    let current = true;
    layoutGraph(graph, elk).then(
      (result) => current && setLayout({ of: graph, positions: result }),
      (error: unknown) => current && setLayoutError(String(error)),
    );
    return () => {
      current = false;
    };
  }, [graph]);

  const nodes = useMemo<ObjectiveFlowNode[]>(
    () =>
      graph.nodes.map((objective) => ({
        id: objective.id,
        type: "objective",
        position: positions?.get(objective.id) ?? { x: 0, y: 0 },
        data: { objective, team: teamName(objective.team_id), currency },
        ariaLabel: `${objective.title}: ${STATUS_LABEL[objective.status]}, progress ${formatProgress(objective.progress)}`,
      })),
    [graph, positions, teamName, currency],
  );
  const edges = useMemo<Edge[]>(
    () =>
      graph.edges.map((edge) => ({
        id: edge.id,
        source: edge.source,
        target: edge.target,
        // The weight on the line; the kind is its style (solid cascade, dashed violet contributes), the full story on
        // hover.
        label: `${Math.round(edge.weight * 100)} %`,
        ariaLabel: edgeLabel(edge),
        className: `edge-${edge.kind}`,
        labelStyle: { fontSize: 11, fill: "var(--mantine-color-gray-8)" },
        labelBgStyle: { fill: "var(--mantine-color-body)" },
        // The arrow points at the parent: the child contributes to it.
        markerStart: { type: MarkerType.ArrowClosed, width: 14, height: 14 },
        style: {
          strokeWidth: 1 + edge.weight * 2,
          strokeDasharray: edge.kind === "contributes" ? "6 4" : undefined,
          stroke: edge.kind === "contributes" ? "var(--mantine-color-violet-7)" : "var(--mantine-color-gray-6)",
        },
        data: { kind: edge.kind },
      })),
    [graph],
  );

  if (layoutError) return <Text c="red.9">The map could not be laid out: {layoutError}</Text>;
  if (!positions) return <Loading label="Laying out the map" />;
  return (
    <div style={{ height: "calc(100vh - 260px)", minHeight: 420 }} data-testid="alignment-map">
      <ReactFlow
        nodes={nodes}
        edges={edges}
        nodeTypes={nodeTypes}
        fitView
        minZoom={0.05}
        nodesDraggable={false}
        nodesConnectable={false}
        edgesFocusable={false}
        onNodeClick={(_, node) => void navigate(`/objectives/${node.id}`)}
        proOptions={{ hideAttribution: true }}
        aria-label="Alignment map"
      >
        <Background gap={24} />
        <Controls showInteractive={false} />
        {graph.nodes.length > 20 && <MiniMap pannable zoomable nodeColor={(node) => cssColor(STATUS_COLOR[(node.data as ObjectiveNodeData).objective.status])} />}
      </ReactFlow>
    </div>
  );
}
