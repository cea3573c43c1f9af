/** Check-ins against the pace line, with target, stretch and previous-period lines. */
import { LineChart } from "@mantine/charts";
import { Text, VisuallyHidden } from "@mantine/core";
import type { Schemas } from "../api/client";
import { chartData, cycleBounds } from "../lib/chart";
import { keyResultKind } from "../lib/keyResultKind";
import { formatCompact, formatDate, formatKeyResultValue, niceDomain } from "../lib/format";

/** An axis or tooltip time (milliseconds) as a date; recharts also calls formatters with nothing. */
function formatTime(value: unknown): string {
  const time = Number(value);
  return value === null || value === undefined || !Number.isFinite(time) ? "" : formatDate(new Date(time).toISOString());
}

export function KeyResultChart({
  keyResult,
  cycle,
  checkIns,
  currency,
}: {
  keyResult: Schemas["KeyResultPublic"];
  cycle: Schemas["CyclePublic"];
  checkIns: Schemas["CheckInPublic"][];
  currency: string;
}) {
  // Milestones and thresholds have no pace line: only the check-ins against the target (or threshold) line.
  const kind = keyResultKind(keyResult);
  const data = chartData(keyResult, cycle, checkIns).filter((point) => kind === "target" || point.actual !== undefined);
  const [start, end] = cycleBounds(cycle);
  const fmt = (value: number) => formatKeyResultValue(keyResult, value, currency);
  const references = [
    {
      y: keyResult.target_value,
      label:
        kind === "milestone"
          ? "Done" // the target of a milestone is its last step: "Done", not "Done Done"
          : `${kind === "threshold" ? "Threshold" : "Target"} ${fmt(keyResult.target_value)}`,
      color: "teal.8",
    },
    ...(keyResult.stretch_value !== null
      ? [{ y: keyResult.stretch_value, label: `Stretch ${fmt(keyResult.stretch_value)}`, color: "violet.8" }]
      : []),
    ...(keyResult.previous_value !== null
      ? [{ y: keyResult.previous_value, label: `Last period ${fmt(keyResult.previous_value)}`, color: "gray.7" }]
      : []),
  ];
  const domain = niceDomain([...data.map((p) => p.actual ?? p.pace ?? 0), ...references.map((r) => r.y)]);
  const summary =
    `Chart of ${keyResult.title}: ${checkIns.filter((c) => !c.corrected_by).length} check-ins, ` +
    `current ${fmt(keyResult.current_value)}, ` +
    (kind === "target" ? `expected by now ${fmt(keyResult.expected_value)}, target ` : `${kind} `) +
    fmt(keyResult.target_value) +
    (keyResult.stretch_value !== null ? `, stretch ${fmt(keyResult.stretch_value)}` : "");
  return (
    <figure style={{ margin: 0 }} data-testid="kr-chart">
      <div role="img" aria-label={summary}>
        <LineChart
          h={220}
          data={data}
          dataKey="t"
          series={[
            ...(kind === "target" ? [{ name: "pace", label: "Pace", color: "gray.6", strokeDasharray: "6 4" }] : []),
            { name: "actual", label: "Check-ins", color: "indigo.7" },
          ]}
          connectNulls
          curveType="linear"
          withLegend
          legendProps={{ verticalAlign: "bottom" }}
          referenceLines={references}
          xAxisProps={{
            type: "number",
            domain: [start, end],
            // Five evenly spaced dates (start, quarters, end) instead of one tick per check-in.
            ticks: [0, 1, 2, 3, 4].map((i) => start + ((end - start) * i) / 4),
            scale: "time",
            tickFormatter: (value: number) => formatTime(value),
          }}
          yAxisProps={{ domain, tickFormatter: (value: number) => formatCompact(value), width: 48 }}
          valueFormatter={fmt}
          tooltipProps={{ labelFormatter: (value) => formatTime(value) }}
          withDots
        />
      </div>
      <VisuallyHidden>
        <figcaption>{summary}</figcaption>
      </VisuallyHidden>
      <Text size="xs" c="dimmed" aria-hidden>
        {kind === "target"
          ? `Dashed: the pace to reach the target by ${formatDate(cycle.end_date)}.`
          : kind === "threshold"
            ? "The value must stay on the right side of the threshold line all cycle."
            : "Done or not: no pace line."}
      </Text>
    </figure>
  );
}
