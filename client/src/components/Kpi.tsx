/** KPI parts shared by the KPI pages and the scoreboard: the status chip and the scoreboard's panel (no chart
 * library here: the scoreboard stays light; the chart is in KpiChart.tsx). */
import { Anchor, Badge, Group, Paper, SimpleGrid, Text, Title } from "@mantine/core";
import { Link } from "react-router";
import type { Schemas } from "../api/client";
import { KPI_STATUS_COLOR, type KpiStatus, kpiStatusLabel } from "../lib/kpis";

export function KpiStatusChip({ status }: { status: KpiStatus | null }) {
  return (
    <Badge
      variant={status ? "filled" : "outline"}
      color={status ? KPI_STATUS_COLOR[status] : "gray.8"}
      data-kpi-status={status ?? "none"}
    >
      {kpiStatusLabel(status)}
    </Badge>
  );
}

/** The scoreboard's KPI panel: the answer's `kpis` counts, linking to the KPI list. */
export function KpiPanel({ counts }: { counts: Schemas["KpiStatusCounts"] }) {
  if (counts.total === 0) return null;
  const cells: { key: string; label: string; value: number; color?: string }[] = [
    { key: "healthy", label: "Healthy", value: counts.healthy, color: KPI_STATUS_COLOR.healthy },
    { key: "warning", label: "Warning", value: counts.warning, color: KPI_STATUS_COLOR.warning },
    { key: "critical", label: "Critical", value: counts.critical, color: KPI_STATUS_COLOR.critical },
    { key: "no_value", label: "No value yet", value: counts.no_value },
  ];
  return (
    <section aria-labelledby="kpi-panel-title">
      <Group justify="space-between" mb={4}>
        <Title order={2} size="h4" id="kpi-panel-title">
          KPIs ({counts.total})
        </Title>
        <Anchor component={Link} to="/kpis" size="sm">
          All KPIs
        </Anchor>
      </Group>
      <SimpleGrid cols={{ base: 2, sm: 4 }} spacing="xs">
        {cells.map((cell) => (
          <Paper
            key={cell.key}
            withBorder
            p="sm"
            style={cell.color ? { borderLeft: `4px solid var(--mantine-color-${cell.color.replace(".", "-")})` } : undefined}
          >
            <Text size="xs" c="dimmed">
              {cell.label}
            </Text>
            <Text fw={700} size="xl" className="num" data-testid={`kpi-count-${cell.key}`}>
              {cell.value}
            </Text>
          </Paper>
        ))}
      </SimpleGrid>
    </section>
  );
}
