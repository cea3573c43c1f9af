/**
 * Retrospective of the chosen cycle once it is closed (`/retrospective`, from `GET /cycles/{id}/retrospective`):
 * the grades by kind and per objective, calibration (Brier score, confidence against hit rate, mid-cycle), ambition,
 * honesty signals, and coverage and spend per objective as at the close.
 */
import { BarChart } from "@mantine/charts";
import { Anchor, Badge, SimpleGrid, Stack, Table, Text, Title } from "@mantine/core";
import { Link } from "react-router";
import type { Schemas } from "../api/client";
import { ScoreText } from "../components/Indicators";
import { AmbitionSummary, Figure, HonestySummary, Panel } from "../components/InsightParts";
import { EmptyState, Loading, QueryError } from "../components/QueryState";
import { useCycleChoice } from "../queries/cycleChoice";
import { formatCompact, formatDate, formatDateTime, formatProgress, formatScore } from "../lib/format";
import { money } from "../lib/money";
import { canWrite } from "../lib/permissions";
import { isProblem } from "../lib/problem";
import {
  actorLabel,
  calibrationRows,
  formatBias,
  formatBrier,
  GRADE_FLAG_TEXT,
  gradeHistogram,
  histogramDescription,
  objectivesByScore,
  percent,
  TENDENCY_LABEL,
} from "../lib/retrospective";
import { KIND_LABEL, LEVEL_LABEL } from "../lib/status";
import { useMe } from "../queries/auth";
import { useDirectory } from "../queries/directory";
import { useRetrospective } from "../queries/insights";

type Retrospective = Schemas["RetrospectivePublic"];

/** A sideways-scrolling table region that the keyboard can reach and scroll. */
const SCROLL_REGION = (label: string) => ({ tabIndex: 0, role: "region", "aria-label": label });

const KIND_COLOR: Record<string, string> = { committed: "indigo.7", aspirational: "violet.7" };

export function RetrospectiveView() {
  const { cycles, cycle } = useCycleChoice();
  const me = useMe();
  const closed = cycle?.state === "closed";
  const retrospective = useRetrospective(closed && cycle ? cycle.id : null);
  const header = (
    <div>
      <Title order={1}>Retrospective</Title>
      <Text c="dimmed" size="sm">
        {cycle ? `${cycle.name}: ` : ""}how the closed cycle graded, whether confidence meant anything, how far targets
        stretched, and where the work and money went.
      </Text>
    </div>
  );

  if (cycles.error) return <Stack>{header}<QueryError error={cycles.error} onRetry={() => void cycles.refetch()} /></Stack>;
  if (cycles.isPending) return <Loading label="Loading the cycles" />;
  if (!cycle) {
    return (
      <Stack>
        {header}
        <EmptyState title="No cycle yet">Create a cycle and its objectives; its retrospective appears once it is closed.</EmptyState>
      </Stack>
    );
  }
  if (!closed) {
    return (
      <Stack>
        {header}
        <EmptyState
          title={`${cycle.name} is not closed yet`}
          action={
            canWrite(me.data) ? (
              <Anchor component={Link} to="/settings/cycles">
                Close it in Settings → Cycles
              </Anchor>
            ) : undefined
          }
        >
          A retrospective appears once the cycle is closed: closing grades every key result and freezes the cycle, then
          this page shows the grades, calibration, ambition, honesty signals and coverage.
          {canWrite(me.data) ? "" : " Someone who edits OKRs closes it in Settings → Cycles."} Pick a closed cycle in the
          cycle switcher to read its retrospective.
        </EmptyState>
      </Stack>
    );
  }
  if (retrospective.error) {
    // A cycle closed before retrospectives existed has none (409); say so rather than offer a retry.
    if (isProblem(retrospective.error) && retrospective.error.status === 409) {
      return (
        <Stack>
          {header}
          <EmptyState title="No retrospective for this cycle">{retrospective.error.detail}</EmptyState>
        </Stack>
      );
    }
    return <Stack>{header}<QueryError error={retrospective.error} onRetry={() => void retrospective.refetch()} /></Stack>;
  }
  if (retrospective.isPending) return <Stack>{header}<Loading label="Loading the retrospective" /></Stack>;
  return (
    <Stack gap="lg">
      {header}
      <Report retro={retrospective.data} />
    </Stack>
  );
}

function Report({ retro }: { retro: Retrospective }) {
  const directory = useDirectory();
  const overall = retro.calibration.every_check_in.overall;
  const mid = retro.calibration.mid_cycle.overall;
  const hitShare = retro.key_results > 0 ? retro.hit / retro.key_results : null;
  return (
    <>
      <Text size="sm" data-testid="retro-closed">
        {formatDate(retro.start_date)} – {formatDate(retro.end_date)} · closed {formatDateTime(retro.closed_at)} by{" "}
        {actorLabel(retro.closed_by, directory.memberName)}. The grades were taken at the close and never change.
      </Text>
      <SimpleGrid cols={{ base: 2, sm: 3, lg: 5 }} spacing="xs">
        <Figure label="Key results graded" value={String(retro.key_results)} testId="retro-key-results" />
        <Figure label="Hit their target" value={String(retro.hit)} detail={`${percent(hitShare)} of them`} testId="retro-hit" />
        <Figure
          label="Brier score"
          value={formatBrier(overall.brier)}
          detail={`${overall.forecasts} forecasts · 0 is perfect`}
          testId="retro-brier"
        />
        <Figure
          label="Mid-cycle Brier score"
          value={formatBrier(mid.brier)}
          detail={`latest confidence by ${formatDate(retro.calibration.mid_cycle_at)}`}
          testId="retro-mid-brier"
        />
        <Figure
          label="Confidence · hit rate"
          value={`${percent(overall.mean_confidence)} · ${percent(overall.hit_rate)}`}
          detail={overall.tendency ? TENDENCY_LABEL[overall.tendency] : "no forecasts"}
          testId="retro-confidence"
        />
      </SimpleGrid>

      <SimpleGrid cols={{ base: 1, md: 2 }} spacing="md">
        <GradesPanel distribution={retro.grade_distribution} />
        <CalibrationChart calibration={retro.calibration} />
      </SimpleGrid>

      <ObjectiveGrades objectives={retro.objectives} />
      <CalibrationTable calibration={retro.calibration} />

      <SimpleGrid cols={{ base: 1, md: 2 }} spacing="md">
        <Panel title="Ambition">
          <AmbitionSummary ambition={retro.ambition} />
        </Panel>
        <Panel title="Honesty signals">
          <HonestySummary honesty={retro.honesty} />
        </Panel>
      </SimpleGrid>

      {retro.coverage ? (
        <CoverageAtClose coverage={retro.coverage} />
      ) : (
        <Panel title="Coverage and spend">
          <Text size="sm" c="dimmed">
            Not recorded: this cycle was closed before the retrospective kept coverage and spend. The health view shows
            the live figures.
          </Text>
        </Panel>
      )}

      <Text size="sm" c="dimmed">
        The cycle's objectives, key results, check-ins, initiatives and spend can be downloaded as CSV or JSON in{" "}
        <Anchor component={Link} to="/settings/cycles" size="sm">
          Settings → Cycles
        </Anchor>
        .
      </Text>
    </>
  );
}

function GradesPanel({ distribution }: { distribution: Schemas["GradeDistribution"][] }) {
  const { rows, kinds } = gradeHistogram(distribution);
  const graded = distribution.filter((item) => item.key_results > 0);
  return (
    <Panel title="Grade distribution">
      {graded.length === 0 ? (
        <Text size="sm" c="dimmed">
          No key result was graded in this cycle.
        </Text>
      ) : (
        <Stack gap="sm">
          <div role="img" aria-label={`Key results by final grade. ${histogramDescription(rows, kinds)}`}>
            <BarChart
              h={220}
              data={rows}
              dataKey="bin"
              withLegend
              legendProps={{ verticalAlign: "bottom" }}
              series={kinds.map((kind) => ({
                name: kind,
                label: KIND_LABEL[kind as keyof typeof KIND_LABEL] ?? kind,
                color: KIND_COLOR[kind] ?? "gray.7",
              }))}
              xAxisProps={{ interval: 0, angle: -35, textAnchor: "end", height: 48, fontSize: 11 }}
              yAxisProps={{ allowDecimals: false, width: 32, tickFormatter: (value: number) => String(value) }}
              valueFormatter={(value) => `${value} key result${value === 1 ? "" : "s"}`}
            />
          </div>
          {graded.map((item) => (
            <Stack key={item.kind} gap={2}>
              <Text size="sm" data-testid={`grades-${item.kind}`}>
                <Text span fw={600}>
                  {KIND_LABEL[item.kind] ?? item.kind}
                </Text>
                : mean grade {formatScore(item.mean_score)} over {item.key_results} key result
                {item.key_results === 1 ? "" : "s"} · {formatProgress(item.mean_progress)} of the targets delivered ·{" "}
                {percent(item.hit_rate)} hit
              </Text>
              {item.flags.map((flag) => (
                <Text key={flag} size="xs" c="red.9" data-flag={flag}>
                  {GRADE_FLAG_TEXT[flag]}
                </Text>
              ))}
            </Stack>
          ))}
        </Stack>
      )}
    </Panel>
  );
}

function CalibrationChart({ calibration }: { calibration: Schemas["CalibrationReport"] }) {
  const rows = calibrationRows(calibration);
  return (
    <Panel title="Confidence against outcome">
      {rows.length === 0 ? (
        <Text size="sm" c="dimmed">
          No check-in gave a confidence, so there is nothing to calibrate.
        </Text>
      ) : (
        <Stack gap="xs">
          <Text size="xs" c="dimmed">
            Mean confidence given (as a share of 10) against the share of those forecasts whose key result hit. Bars of
            equal length mean confidence was honest.
          </Text>
          <div
            role="img"
            aria-label={rows
              .map((row) => `${row.label}: confidence ${row.confidence} %, hit rate ${row.hitRate} %`)
              .join("; ")}
          >
            <BarChart
              h={Math.max(160, rows.length * 56)}
              data={rows.map(({ label, confidence, hitRate }) => ({ label, confidence, hitRate }))}
              dataKey="label"
              orientation="vertical"
              withLegend
              legendProps={{ verticalAlign: "bottom" }}
              series={[
                { name: "confidence", label: "Mean confidence", color: "indigo.7" },
                { name: "hitRate", label: "Hit rate", color: "teal.8" },
              ]}
              valueFormatter={(value) => `${value} %`}
              yAxisProps={{ width: 110 }}
              xAxisProps={{ domain: [0, 100] }}
            />
          </div>
        </Stack>
      )}
    </Panel>
  );
}

function CalibrationTable({ calibration }: { calibration: Schemas["CalibrationReport"] }) {
  const lines: { group: string; name: string; figures: Schemas["CalibrationFigures"] }[] = [
    { group: "Cycle", name: "Every check-in", figures: calibration.every_check_in.overall },
    { group: "Cycle", name: `Mid-cycle (by ${formatDate(calibration.mid_cycle_at)})`, figures: calibration.mid_cycle.overall },
    ...calibration.every_check_in.teams.map((team) => ({ group: "Team", name: team.name, figures: team })),
    ...calibration.every_check_in.people.map((person) => ({ group: "Person", name: person.name, figures: person })),
  ];
  return (
    <Panel title="Calibration in detail">
      <Text size="xs" c="dimmed" mb="xs">
        Brier score = mean of (confidence/10 − outcome)²: 0 is perfect, 0.25 is what always answering 5/10 scores. Bias
        is mean confidence minus hit rate; beyond ±10 points reads as over- or under-confident.
      </Text>
      {/* Focusable when it scrolls on a phone: the table holds no link or button to reach it by keyboard. */}
      <Table.ScrollContainer minWidth={640} scrollAreaProps={{ viewportProps: SCROLL_REGION("Calibration table") }}>
        <Table verticalSpacing={4} fz="sm" aria-label="Calibration" data-testid="retro-calibration">
          <Table.Thead>
            <Table.Tr>
              <Table.Th>Who</Table.Th>
              <Table.Th ta="right">Forecasts</Table.Th>
              <Table.Th ta="right">Brier</Table.Th>
              <Table.Th ta="right">Confidence</Table.Th>
              <Table.Th ta="right">Hit rate</Table.Th>
              <Table.Th ta="right">Bias</Table.Th>
              <Table.Th>Reads as</Table.Th>
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {lines.map((line, index) => (
              <Table.Tr key={`${line.group}-${line.name}-${index}`}>
                <Table.Td>
                  {line.name}
                  {line.group !== "Cycle" && (
                    <Text span size="xs" c="dimmed">
                      {" "}
                      · {line.group.toLowerCase()}
                    </Text>
                  )}
                </Table.Td>
                <Table.Td ta="right" className="num">
                  {line.figures.forecasts}
                </Table.Td>
                <Table.Td ta="right" className="num">
                  {formatBrier(line.figures.brier)}
                </Table.Td>
                <Table.Td ta="right" className="num">
                  {percent(line.figures.mean_confidence)}
                </Table.Td>
                <Table.Td ta="right" className="num">
                  {percent(line.figures.hit_rate)}
                </Table.Td>
                <Table.Td ta="right" className="num">
                  {formatBias(line.figures.bias)}
                </Table.Td>
                <Table.Td>{line.figures.tendency ? TENDENCY_LABEL[line.figures.tendency] : "—"}</Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      </Table.ScrollContainer>
    </Panel>
  );
}

function ObjectiveGrades({ objectives }: { objectives: Schemas["ObjectiveGrade"][] }) {
  const directory = useDirectory();
  return (
    <Panel title="Objectives by final grade">
      {objectives.length === 0 ? (
        <Text size="sm" c="dimmed">
          The cycle had no objectives.
        </Text>
      ) : (
        <Table.ScrollContainer minWidth={680}>
          <Table verticalSpacing={4} fz="sm" aria-label="Objective grades">
            <Table.Thead>
              <Table.Tr>
                <Table.Th>Objective</Table.Th>
                <Table.Th>Team</Table.Th>
                <Table.Th>Owner</Table.Th>
                <Table.Th>Kind</Table.Th>
                <Table.Th ta="right">Key results</Table.Th>
                <Table.Th ta="right">Delivered</Table.Th>
                <Table.Th ta="right">Grade</Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {objectivesByScore(objectives).map((objective) => (
                <Table.Tr key={objective.objective_id} data-testid="retro-objective">
                  <Table.Td>
                    <Anchor component={Link} to={`/objectives/${objective.objective_id}`} size="sm">
                      {objective.title}
                    </Anchor>
                    {objective.level !== "team" && (
                      <Badge size="xs" variant="outline" color="gray.8" ml={6}>
                        {LEVEL_LABEL[objective.level]}
                      </Badge>
                    )}
                  </Table.Td>
                  <Table.Td>{directory.teamName(objective.team_id)}</Table.Td>
                  <Table.Td>{directory.memberName(objective.owner_id)}</Table.Td>
                  <Table.Td>{KIND_LABEL[objective.kind]}</Table.Td>
                  <Table.Td ta="right" className="num">
                    {objective.key_results}
                  </Table.Td>
                  <Table.Td ta="right" className="num">
                    {formatProgress(objective.progress)}
                  </Table.Td>
                  <Table.Td ta="right" data-testid="retro-objective-score">
                    <ScoreText score={objective.score} label={`Grade of ${objective.title}`} />
                  </Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        </Table.ScrollContainer>
      )}
    </Panel>
  );
}

function CoverageAtClose({ coverage }: { coverage: NonNullable<Retrospective["coverage"]> }) {
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
