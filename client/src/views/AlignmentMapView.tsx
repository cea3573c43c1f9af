/** Alignment map: the cycle's objectives from the company down, cascade and contributes links with their weights. */
import { Group, Stack, Text, Title } from "@mantine/core";
import { useMemo } from "react";
import { AlignmentMap } from "../components/AlignmentMap";
import { EmptyState, Loading, QueryError } from "../components/QueryState";
import { useCycleChoice } from "../queries/cycleChoice";
import { graphOf } from "../lib/alignmentGraph";
import { useAlignmentMap } from "../queries/alignment";
import { useDirectory } from "../queries/directory";

export function AlignmentMapView() {
  const { cycles, cycle } = useCycleChoice();
  const map = useAlignmentMap(cycle?.id ?? null);
  const directory = useDirectory();
  const graph = useMemo(() => (map.data ? graphOf(map.data) : null), [map.data]);

  const header = (
    <div>
      <Title order={1}>Alignment map</Title>
      <Text c="dimmed" size="sm">
        {cycle ? `${cycle.name}: ` : ""}how every objective connects up to the company. Solid: cascade; dashed: contributes
        (cross-functional); line width and label: the weight. Hover a node for its spend; click to open it.
      </Text>
    </div>
  );
  if (cycles.error) return <QueryError error={cycles.error} onRetry={() => void cycles.refetch()} />;
  if (map.error) return <Stack>{header}<QueryError error={map.error} onRetry={() => void map.refetch()} /></Stack>;
  if (cycles.isPending || (cycle && map.isPending)) return <Loading label="Loading the alignment map" />;
  if (!cycle || !graph || graph.nodes.length === 0) {
    return (
      <Stack>
        {header}
        <EmptyState title="Nothing to map yet">Objectives of the chosen cycle and their alignment links appear here.</EmptyState>
      </Stack>
    );
  }
  return (
    <Stack gap="sm">
      {header}
      <Group gap="lg">
        <Text size="sm" data-testid="map-counts">
          {graph.nodes.length} objectives · {graph.edges.length} links
        </Text>
      </Group>
      <AlignmentMap graph={graph} teamName={directory.teamName} currency={map.data?.currency ?? "EUR"} />
    </Stack>
  );
}
