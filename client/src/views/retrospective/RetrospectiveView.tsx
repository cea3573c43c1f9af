/**
 * Retrospective of the chosen cycle once it is closed (`/retrospective`, from `GET /cycles/{id}/retrospective`):
 * the grades by kind and per objective, calibration (Brier score, confidence against hit rate, mid-cycle), ambition,
 * honesty signals, and coverage and spend per objective as at the close.
 */
import { Anchor, SimpleGrid, Stack, Text, Title } from "@mantine/core";
import { Link } from "react-router";
import type { Schemas } from "../../api/client";
import { AmbitionSummary, Figure, HonestySummary, Panel } from "../../components/InsightParts";
import { EmptyState, Loading, QueryError } from "../../components/QueryState";
import { useCycleChoice } from "../../queries/cycleChoice";
import { formatDate, formatDateTime } from "../../lib/format";
import { canWrite } from "../../lib/permissions";
import { isProblem } from "../../lib/problem";
import { actorLabel, formatBrier, percent, TENDENCY_LABEL } from "../../lib/retrospective";
import { useMe } from "../../queries/auth";
import { useDirectory } from "../../queries/directory";
import { useRetrospective } from "../../queries/insights";
import { CalibrationChart, CalibrationTable } from "./Calibration";
import { CoverageAtClose } from "./CoverageAtClose";
import { GradesPanel, ObjectiveGrades } from "./Grades";

type Retrospective = Schemas["RetrospectivePublic"];

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
