/**
 * Alignment map: the cycle's objectives in bands by level (company on top, objectives aligned to nothing in their own
 * lane), cascade and contributes links with their weights; filters, search, collapse and focus on one objective's
 * line of sight. On a phone the same data is an indented tree.
 */
import { Alert, Button, Group, Stack, Text, Title } from "@mantine/core";
import { useMediaQuery } from "@mantine/hooks";
import { useCallback, useMemo, useState } from "react";
import { MapCanvas } from "../components/map/MapCanvas";
import { type MapNodeProps, MapLegend, MapToolbar } from "../components/map/mapParts";
import { MapTree } from "../components/map/MapTree";
import { EmptyState, Loading, QueryError } from "../components/QueryState";
import { graphOf, type MapObjective } from "../lib/alignmentGraph";
import { childCounts, type MapFilters, NO_FILTERS, treeOf, unalignedIds, visibleGraph } from "../lib/mapView";
import { useAlignmentMap } from "../queries/alignment";
import { useCycleChoice } from "../queries/cycleChoice";
import { useDirectory } from "../queries/directory";

const PHONE = "(max-width: 48em)";

export function AlignmentMapView() {
  const { cycles, cycle } = useCycleChoice();
  const map = useAlignmentMap(cycle?.id ?? null);
  const directory = useDirectory();
  const phone = useMediaQuery(PHONE, typeof window !== "undefined" && window.matchMedia?.(PHONE).matches, {
    getInitialValueInEffect: false,
  });
  const [filters, setFilters] = useState<MapFilters>(NO_FILTERS);
  const [collapsed, setCollapsed] = useState<ReadonlySet<string>>(new Set());
  const [focus, setFocus] = useState<string | null>(null);

  const graph = useMemo(() => (map.data ? graphOf(map.data) : null), [map.data]);
  const unaligned = useMemo(() => (graph ? unalignedIds(graph) : new Set<string>()), [graph]);
  const counts = useMemo(() => (graph ? childCounts(graph) : new Map<string, number>()), [graph]);
  const visible = useMemo(
    () => (graph ? visibleGraph(graph, { filters, collapsed, focus }) : null),
    [graph, filters, collapsed, focus],
  );
  const tree = useMemo(() => (phone && visible ? treeOf(visible, unaligned) : []), [phone, visible, unaligned]);
  const cycleName = useMemo(() => {
    const names = new Map((cycles.data?.items ?? []).map((c) => [c.id, c.name]));
    return (id: string) => names.get(id) ?? "Another cycle";
  }, [cycles.data]);
  const marks = useMemo(
    () => [...new Set((visible?.nodes ?? []).filter((o) => o.cycle_id !== cycle?.id).map((o) => cycleName(o.cycle_id)))],
    [visible, cycle, cycleName],
  );

  const toggle = useCallback(
    (id: string) =>
      setCollapsed((before) => {
        const next = new Set(before);
        if (!next.delete(id)) next.add(id);
        return next;
      }),
    [],
  );
  const onFocus = useCallback((id: string) => setFocus((before) => (before === id ? null : id)), []);
  const nodeProps = useCallback(
    (objective: MapObjective): MapNodeProps => ({
      objective,
      team: directory.teamName(objective.team_id),
      currency: map.data?.currency ?? "EUR",
      mark: objective.cycle_id !== cycle?.id ? cycleName(objective.cycle_id) : null,
      unaligned: unaligned.has(objective.id),
      children: counts.get(objective.id) ?? 0,
      collapsed: collapsed.has(objective.id),
      focused: focus === objective.id,
      onToggle: toggle,
      onFocus,
    }),
    [directory, map.data, cycle, cycleName, unaligned, counts, collapsed, focus, toggle, onFocus],
  );

  const header = (
    <div>
      <Title order={1}>Alignment map</Title>
      <Text c="dimmed" size="sm">
        {cycle ? `${cycle.name}: ` : ""}how every objective connects up to the company. Open an objective from its title;
        the target button shows its line of sight.
      </Text>
    </div>
  );
  if (cycles.error) return <QueryError error={cycles.error} onRetry={() => void cycles.refetch()} />;
  if (map.error) return <Stack>{header}<QueryError error={map.error} onRetry={() => void map.refetch()} /></Stack>;
  if (cycles.isPending || (cycle && map.isPending)) return <Loading label="Loading the alignment map" />;
  if (!cycle || !graph || !visible || graph.nodes.length === 0) {
    return (
      <Stack>
        {header}
        <EmptyState title="Nothing to map yet">Objectives of the chosen cycle and their alignment links appear here.</EmptyState>
      </Stack>
    );
  }
  const focused = focus ? graph.nodes.find((o) => o.id === focus) : undefined;
  return (
    <Stack gap="xs">
      {header}
      <MapToolbar
        filters={filters}
        onChange={setFilters}
        teams={directory.teams}
        counts={`${visible.nodes.length} objectives · ${visible.edges.length} links`}
      />
      <MapLegend marks={marks} />
      {focused && (
        <Alert color="blue" variant="light" py={6} data-testid="map-focus">
          <Group justify="space-between" gap="xs">
            <Text size="sm">
              Line of sight of <b>{focused.title}</b>: what it aligns to and what is aligned to it.
            </Text>
            <Button size="compact-sm" variant="outline" onClick={() => setFocus(null)}>
              Show the whole map
            </Button>
          </Group>
        </Alert>
      )}
      {visible.nodes.length === 0 ? (
        <EmptyState
          title="No objective matches"
          action={
            <Button variant="subtle" onClick={() => setFilters(NO_FILTERS)}>
              Clear filters
            </Button>
          }
        >
          Another team, status or search shows more.
        </EmptyState>
      ) : phone ? (
        <MapTree tree={tree} nodeProps={nodeProps} />
      ) : (
        <MapCanvas graph={visible} unaligned={unaligned} nodeProps={nodeProps} />
      )}
    </Stack>
  );
}
