/** The line of sight and the spend as they stood when the cycle closed. */
import { BarChart } from "@mantine/charts";
import { SimpleGrid, Stack, Text, Title } from "@mantine/core";
import type { Schemas } from "../../api/client";
import { Figure, Panel } from "../../components/InsightParts";
import { formatCompact } from "../../lib/format";
import { money } from "../../lib/money";

type Retrospective = Schemas["RetrospectivePublic"];

export function CoverageAtClose({ coverage }: { coverage: NonNullable<Retrospective["coverage"]> }) {
  const currency = coverage.currency;
  const spend = coverage.spend_by_objective
    .filter((item) => Number(item.rolled_up_spend) > 0)
    .sort((a, b) => Number(b.rolled_up_spend) - Number(a.rolled_up_spend))
    .slice(0, 15)
    .map((item) => ({ objective: item.title, own: Number(item.spend), rolledUp: Number(item.rolled_up_spend) }));
  return (
    <>
      <Title order={2} size="h3">
        Coverage and spend at the close
      </Title>
      <SimpleGrid cols={{ base: 2, sm: 3, lg: 6 }} spacing="xs">
        <Figure
          label="Objectives aligned to nothing"
          value={String(coverage.objectives_without_parent)}
          detail={`of ${coverage.objectives}`}
          testId="retro-unaligned-objectives"
        />
        <Figure
          label="Key results no work moved"
          value={String(coverage.key_results_without_initiative)}
          detail={`of ${coverage.key_results}`}
          testId="retro-krs-without-work"
        />
        <Figure label="Spend on key results" value={money(coverage.spend, currency)} testId="retro-spend" />
        <Figure
          label="Spend on no key result"
          value={money(coverage.unaligned_spend, currency)}
          detail={`${coverage.unaligned_initiatives} unaligned initiative${coverage.unaligned_initiatives === 1 ? "" : "s"}`}
          testId="retro-unaligned-spend"
        />
        <Figure label="Teams without objectives" value={String(coverage.teams_without_objectives)} />
        <Figure label="Over-claimed key results" value={String(coverage.over_claimed_key_results)} />
      </SimpleGrid>
      <Panel title="Spend per objective">
        {spend.length === 0 ? (
          <Text size="sm" c="dimmed">
            No spend reached this cycle's key results.
          </Text>
        ) : (
          <Stack gap="xs">
            <Text size="xs" c="dimmed">
              Own: spend on the objective's key results. Rolled up: with every objective aligned below it, counted once.
              {coverage.spend_by_objective.length > spend.length ? " The 15 largest." : ""}
            </Text>
            <div
              role="img"
              aria-label={spend
                .map((item) => `${item.objective}: ${money(item.own, currency)} own, ${money(item.rolledUp, currency)} rolled up`)
                .join("; ")}
            >
              <BarChart
                h={Math.max(160, spend.length * 52)}
                data={spend}
                dataKey="objective"
                orientation="vertical"
                withLegend
                legendProps={{ verticalAlign: "bottom" }}
                series={[
                  { name: "own", label: "Own", color: "teal.8" },
                  { name: "rolledUp", label: "Rolled up", color: "indigo.7" },
                ]}
                valueFormatter={(value) => money(value, currency)}
                yAxisProps={{ width: 170 }}
                xAxisProps={{ tickFormatter: (value: number) => formatCompact(value) }}
              />
            </div>
          </Stack>
        )}
      </Panel>
    </>
  );
}
