/** What the map's canvas and tree share: a node's props, the legend, and the filters. */
import { Button, Group, MultiSelect, Select, Text, TextInput } from "@mantine/core";
import { IconSearch } from "@tabler/icons-react";
import type { MapObjective } from "../../lib/alignmentGraph";
import { type MapFilters, NO_FILTERS } from "../../lib/mapView";
import { type Status, STATUS_COLOR, STATUS_LABEL, STATUSES } from "../../lib/status";

export interface MapNodeProps {
  objective: MapObjective;
  team: string;
  currency: string;
  /** The enclosing cycle's name when the objective belongs to it (the year on a quarter's map), else null. */
  mark: string | null;
  /** Below company level and aligned to nothing. */
  unaligned: boolean;
  /** How many objectives hang directly under it. */
  children: number;
  collapsed: boolean;
  focused: boolean;
  onToggle: (id: string) => void;
  onFocus: (id: string) => void;
}

export function statusColour(status: Status): string {
  const colour = STATUS_COLOR[status];
  return colour.startsWith("#") ? colour : `var(--mantine-color-${colour.replace(".", "-")})`;
}

function Line({ dashed }: { dashed?: boolean }) {
  return (
    <svg width="34" height="10" aria-hidden>
      <line
        x1="2"
        y1="5"
        x2="32"
        y2="5"
        stroke={dashed ? "var(--mantine-color-violet-7)" : "var(--mantine-color-gray-7)"}
        strokeWidth="2.5"
        strokeDasharray={dashed ? "7 4" : undefined}
      />
    </svg>
  );
}

export function MapLegend({ marks }: { marks: string[] }) {
  const item = { display: "flex", alignItems: "center", gap: 6 } as const;
  return (
    <Group component="ul" gap="md" wrap="wrap" aria-label="Legend" data-testid="map-legend" style={{ listStyle: "none", margin: 0, padding: 0 }}>
      {STATUSES.map((status) => (
        <li key={status} style={item}>
          <span aria-hidden style={{ width: 12, height: 12, borderRadius: 3, background: statusColour(status) }} />
          <Text fz={12}>{STATUS_LABEL[status]}</Text>
        </li>
      ))}
      <li style={item}>
        <Line />
        <Text fz={12}>Cascade: a team's share of its parent</Text>
      </li>
      <li style={item}>
        <Line dashed />
        <Text fz={12}>Contributes: work across teams</Text>
      </li>
      <li style={item}>
        <Text fz={12}>Line width and figure: the link's weight</Text>
      </li>
      {marks.map((mark) => (
        <li key={mark} style={item}>
          <Text fz={12} fw={700} c="indigo.8" px={4} style={{ border: "1px solid var(--mantine-color-indigo-8)", borderRadius: 4 }}>
            {mark}
          </Text>
          <Text fz={12}>an objective of {mark}</Text>
        </li>
      ))}
    </Group>
  );
}

export function MapToolbar({
  filters,
  onChange,
  teams,
  counts,
}: {
  filters: MapFilters;
  onChange: (filters: MapFilters) => void;
  teams: { id: string; name: string }[];
  counts: string;
}) {
  const filtered = filters.search !== "" || filters.team !== null || filters.statuses.length > 0;
  return (
    <Group gap="sm" align="flex-end" wrap="wrap">
      <TextInput
        label="Search"
        placeholder="Objective title"
        leftSection={<IconSearch size={16} aria-hidden />}
        value={filters.search}
        onChange={(event) => onChange({ ...filters, search: event.currentTarget.value })}
        w={220}
      />
      <Select
        label="Team"
        placeholder="All teams"
        data={teams.map((team) => ({ value: team.id, label: team.name }))}
        value={filters.team}
        onChange={(team) => onChange({ ...filters, team })}
        clearable
        searchable
        w={200}
      />
      <MultiSelect
        label="Status"
        placeholder={filters.statuses.length ? undefined : "All statuses"}
        data={STATUSES.map((status) => ({ value: status, label: STATUS_LABEL[status] }))}
        value={filters.statuses}
        onChange={(statuses) => onChange({ ...filters, statuses: statuses })}
        clearable
        miw={200}
        maw={380}
      />
      {filtered && (
        <Button variant="subtle" onClick={() => onChange(NO_FILTERS)}>
          Clear filters
        </Button>
      )}
      <Text size="sm" data-testid="map-counts" ml="auto" pb={6}>
        {counts}
      </Text>
    </Group>
  );
}
