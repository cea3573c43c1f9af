/** A KPI's values over time with its healthy range drawn as thresholds: the same charting component (Mantine's
 * LineChart on Recharts) and axis conventions as a key result's chart. */
import { LineChart } from "@mantine/charts";
import { VisuallyHidden } from "@mantine/core";
import type { Schemas } from "../api/client";
import { formatCompact, formatDate, formatNumber, niceDomain } from "../lib/format";
import { kpiChartPoints, kpiStatusLabel, kpiThresholds } from "../lib/kpis";

function formatTime(value: unknown): string {
  const time = Number(value);
  return value === null || value === undefined || !Number.isFinite(time) ? "" : formatDate(new Date(time).toISOString());
}

export function KpiChart({ kpi, values }: { kpi: Schemas["KpiPublic"]; values: Schemas["KpiValuePublic"][] }) {
  const data = kpiChartPoints(values);
  const references = kpiThresholds(kpi);
  const fmt = (value: number) => `${formatNumber(value)}${kpi.unit ? ` ${kpi.unit}` : ""}`;
  const domain = niceDomain([...data.map((p) => p.value), ...references.map((r) => r.y), 0]);
  const summary =
    `Chart of ${kpi.name}: ${data.length} values` +
    (kpi.latest_value !== null ? `, latest ${fmt(kpi.latest_value)} (${kpiStatusLabel(kpi.status)})` : "") +
    (references.length ? `; ${references.map((r) => r.label).join(", ")}` : "");
  return (
    <figure style={{ margin: 0 }} data-testid="kpi-chart">
      <div role="img" aria-label={summary}>
        <LineChart
          h={240}
          data={data}
          dataKey="t"
          series={[{ name: "value", label: kpi.name, color: "indigo.7" }]}
          curveType="linear"
          referenceLines={references}
          xAxisProps={{ type: "number", domain: ["dataMin", "dataMax"], scale: "time", tickFormatter: formatTime }}
          yAxisProps={{ domain, tickFormatter: (value: number) => formatCompact(value), width: 48 }}
          valueFormatter={fmt}
          tooltipProps={{ labelFormatter: (value) => formatTime(value) }}
          withDots
        />
      </div>
      <VisuallyHidden>
        <figcaption>{summary}</figcaption>
      </VisuallyHidden>
    </figure>
  );
}
