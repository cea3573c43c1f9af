/**
 * Health of the OKR process for the chosen cycle: ambition, honesty signals and check-in compliance, calibration and
 * grades once the cycle is closed (`/health`), and line of sight and coverage (`/coverage`: unaligned objectives,
 * key results without initiatives, unaligned work and spend, teams without OKRs, spend rolled up to the company).
 */
import { BarChart } from "@mantine/charts";
import { Anchor, Badge, Group, List, SimpleGrid, Stack, Text, Title } from "@mantine/core";
import type { Schemas } from "../api/client";
import { Link } from "react-router";
import { HelpTip } from "../components/HelpTip";
import { AmbitionSummary, Figure, HonestySummary, Panel } from "../components/InsightParts";
import { EmptyState, Loading, QueryError } from "../components/QueryState";
import { useCycleChoice } from "../queries/cycleChoice";
import { formatCompact, formatPercent } from "../lib/format";
import { money } from "../lib/money";
import { percent } from "../lib/retrospective";
import { useCoverage } from "../queries/alignment";
import { useHealth } from "../queries/insights";
import { useDirectory } from "../queries/directory";

export function HealthView() {
  const { cycles, cycle } = useCycleChoice();
  const coverage = useCoverage(cycle?.id ?? null);
  const health = useHealth(cycle?.id ?? null);
  const directory = useDirectory();
  const header = (
    <div>
      <Title order={1}>Health</Title>
      <Text c="dimmed" size="sm">
        {cycle ? `${cycle.name}: ` : ""}how healthy the OKR process is: whether targets stretch, where reported numbers
        deserve a question, whether people check in, and where the line of sight breaks.
      </Text>
    </div>
  );
  if (cycles.error) return <QueryError error={cycles.error} onRetry={() => void cycles.refetch()} />;
  if (coverage.error) return <Stack>{header}<QueryError error={coverage.error} onRetry={() => void coverage.refetch()} /></Stack>;
  if (cycles.isPending || (cycle && coverage.isPending)) return <Loading label="Loading the cycle's health" />;
  if (!cycle || !coverage.data) {
    return (
      <Stack>
        {header}
        <EmptyState title="No cycle yet">Create a cycle and its objectives to see how well they line up.</EmptyState>
      </Stack>
    );
  }
  const data = coverage.data;
  const currency = data.currency;
  const companySpend = data.spend_by_company_objective.map((item) => ({
    objective: item.title,
    spend: Number(item.rolled_up_spend),
  }));
  const teamSpend = data.spend_by_team
    .map((item) => ({ team: directory.teamName(item.team_id), spend: Number(item.spend) }))
    .filter((item) => item.spend > 0)
    .sort((a, b) => b.spend - a.spend);

  return (
    <Stack gap="lg">
      {header}
      {health.error ? (
        <QueryError error={health.error} onRetry={() => void health.refetch()} />
      ) : health.isPending ? (
        <Loading label="Loading ambition and honesty signals" />
      ) : (
        <HealthInsights health={health.data} />
      )}
      <Title order={2} size="h3">
        Line of sight and coverage
      </Title>
      <SimpleGrid cols={{ base: 2, sm: 4 }} spacing="xs" aria-label="Coverage in numbers">
        <Figure label="Objectives aligned to nothing" value={String(data.objectives_without_parent.length)} testId="coverage-unaligned-objectives" />
        <Figure label="Key results no work moves" value={String(data.key_results_without_initiative.length)} testId="coverage-krs-without-work" />
        <Figure label="Spend on no key result" value={money(data.unaligned_spend, currency)} testId="coverage-unaligned-spend" />
        <Figure label="Teams without objectives" value={String(data.teams_without_objectives.length)} testId="coverage-teams-without" />
      </SimpleGrid>

      <SimpleGrid cols={{ base: 1, md: 2 }} spacing="md">
        <Panel title="Spend rolled up to company objectives">
          {companySpend.length === 0 ? (
            <Text size="sm" c="dimmed">No company objectives in this cycle.</Text>
          ) : (
            <div role="img" aria-label={companySpend.map((item) => `${item.objective}: ${money(item.spend, currency)}`).join("; ")}>
              <BarChart
                h={Math.max(160, companySpend.length * 48)}
                data={companySpend}
                dataKey="objective"
                orientation="vertical"
                series={[{ name: "spend", label: "Spend", color: "indigo.7" }]}
                valueFormatter={(value) => money(value, currency)}
                yAxisProps={{ width: 170 }}
                xAxisProps={{ tickFormatter: (value: number) => formatCompact(value) }}
              />
            </div>
          )}
        </Panel>
        <Panel title="Spend by team">
          {teamSpend.length === 0 ? (
            <Text size="sm" c="dimmed">No spend recorded.</Text>
          ) : (
            <div role="img" aria-label={teamSpend.map((item) => `${item.team}: ${money(item.spend, currency)}`).join("; ")}>
              <BarChart
                h={Math.max(160, teamSpend.length * 40)}
                data={teamSpend}
                dataKey="team"
                orientation="vertical"
                series={[{ name: "spend", label: "Spend", color: "teal.8" }]}
                valueFormatter={(value) => money(value, currency)}
                yAxisProps={{ width: 110 }}
                xAxisProps={{ tickFormatter: (value: number) => formatCompact(value) }}
              />
            </div>
          )}
        </Panel>
      </SimpleGrid>

      <SimpleGrid cols={{ base: 1, md: 2 }} spacing="md">
        <Panel title="Objectives aligned to nothing">
          <ObjectiveList items={data.objectives_without_parent.map((o) => ({ id: o.id, title: o.title, detail: directory.teamName(o.team_id) }))} empty="Every objective below company level has a parent." />
        </Panel>
        <Panel title="Key results no initiative moves">
          <ObjectiveList items={data.key_results_without_initiative.map((kr) => ({ id: kr.objective_id, title: kr.title, detail: directory.memberName(kr.owner_id) }))} empty="Every key result has work behind it." />
        </Panel>
        <Panel title="Unaligned work">
          {data.unaligned_work.length === 0 ? (
            <Text size="sm" c="dimmed">All work is linked to key results.</Text>
          ) : (
            <List spacing={4} size="sm">
              {data.unaligned_work.map((work) => (
                <List.Item key={work.id}>
                  <Anchor component={Link} to="/initiatives" size="sm">
                    {work.title}
                  </Anchor>{" "}
                  · {money(work.unaligned_spend, currency)} unaligned{work.partial ? " (partly linked)" : ""}
                </List.Item>
              ))}
            </List>
          )}
        </Panel>
        <Panel title="Teams and over-claims">
          <Stack gap="xs">
            {data.teams_without_objectives.length > 0 ? (
              <Group gap={6}>
                <Text size="sm">No objectives:</Text>
                {data.teams_without_objectives.map((team) => (
                  <Badge key={team.id} variant="outline" color="red.9">
                    {team.name}
                  </Badge>
                ))}
              </Group>
            ) : (
              <Text size="sm" c="dimmed">Every team has objectives in this cycle.</Text>
            )}
            {data.over_claimed_key_results.map((claim) => (
              <Text key={claim.key_result_id} size="sm">
                “{claim.title}” is claimed {formatPercent(claim.claimed)} by {claim.claims.length} contributing objectives
              </Text>
            ))}
          </Stack>
        </Panel>
      </SimpleGrid>
    </Stack>
  );
}

function ObjectiveList({ items, empty }: { items: { id: string; title: string; detail: string }[]; empty: string }) {
  if (items.length === 0) return <Text size="sm" c="dimmed">{empty}</Text>;
  return (
    <List spacing={4} size="sm">
      {items.map((item, index) => (
        <List.Item key={`${item.id}-${index}`}>
          <Anchor component={Link} to={`/objectives/${item.id}`} size="sm">
            {item.title}
          </Anchor>{" "}
          <Text span size="xs" c="dimmed">
            · {item.detail}
          </Text>
        </List.Item>
      ))}
    </List>
  );
}

function HealthInsights({ health }: { health: Schemas["HealthPublic"] }) {
  const ambition = health.ambition.cycle;
  const signals = health.honesty.cycle;
  const compliance = health.compliance;
  const calibration = health.calibration?.every_check_in.overall;
  return (
    <Stack gap="md">
      <SimpleGrid cols={{ base: 2, sm: 4 }} spacing="xs" aria-label="Health in numbers">
        <Figure label="Mean ambition over last period" value={percent(ambition.mean_ambition)} testId="health-ambition" />
        <Figure label="Low-ambition key results" value={String(ambition.low_ambition)} testId="health-low-ambition" />
        <Figure label="Honesty signals" value={String(signals.total)} testId="health-signals" />
        <Figure label="Checked in on time" value={percent(compliance.overall.share)} testId="health-compliance" />
      </SimpleGrid>
      <SimpleGrid cols={{ base: 1, md: 2 }} spacing="md">
        <Panel title="Ambition" help="ambition">
          <AmbitionSummary ambition={health.ambition} />
        </Panel>
        <Panel title="Honesty signals" help="honesty">
          <HonestySummary honesty={health.honesty} />
        </Panel>
        <Panel title="Check-in compliance by team">
          {compliance.teams.length === 0 ? (
            <Text size="sm" c="dimmed">No key results to check in on yet.</Text>
          ) : (
            <div role="img" aria-label={compliance.teams.map((t) => `${t.name}: ${percent(t.share)}`).join("; ")}>
              <BarChart
                h={Math.max(140, compliance.teams.length * 36)}
                data={compliance.teams.map((t) => ({ team: t.name, share: Math.round((t.share ?? 0) * 100) }))}
                dataKey="team"
                orientation="vertical"
                series={[{ name: "share", label: "On time", color: "indigo.7" }]}
                valueFormatter={(value) => `${value} %`}
                yAxisProps={{ width: 110 }}
                xAxisProps={{ domain: [0, 100] }}
              />
            </div>
          )}
        </Panel>
        <Panel title="Calibration and grades" help="calibration">
          {calibration && health.grade_distribution ? (
            <Stack gap={6}>
              <Text size="sm">
                Forecast accuracy (Brier score) {calibration.brier?.toFixed(3) ?? "—"} <HelpTip term="brier" /> over{" "}
                {calibration.forecasts} forecasts: mean confidence{" "}
                {percent(calibration.mean_confidence)} against a hit rate of {percent(calibration.hit_rate)}
                {calibration.tendency ? ` (${calibration.tendency.replace("_", " ")})` : ""}.
              </Text>
              {health.grade_distribution.map((grades) => (
                <Text key={grades.kind} size="sm">
                  {grades.kind}: mean grade {grades.mean_score?.toFixed(2) ?? "—"} over {grades.key_results} key results
                  {grades.flags.length ? ` · ${grades.flags.join(", ").replaceAll("_", " ")}` : ""}
                </Text>
              ))}
              <Anchor component={Link} to="/retrospective" size="sm">
                The cycle's retrospective: grades, calibration and coverage in full
              </Anchor>
            </Stack>
          ) : (
            <Text size="sm" c="dimmed">
              Calibration (confidence against outcome) and the grade distribution appear when the cycle is closed.
            </Text>
          )}
        </Panel>
      </SimpleGrid>
    </Stack>
  );
}
