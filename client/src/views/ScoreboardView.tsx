/** Scoreboard: the cycle's objectives grouped by team, with progress, score, status, confidence and freshness. */
import { Anchor, Badge, Button, Group, Paper, Select, SimpleGrid, Stack, Text, Title } from "@mantine/core";
import { useMemo, useState } from "react";
import { Link } from "react-router";
import { Confidence, ProgressBar, ScoreText, StatusBadge } from "../components/Indicators";
import { NewCycleButton } from "../components/NewCycleButton";
import { KpiPanel } from "../components/Kpi";
import { NewObjectiveButton } from "../components/NewObjectiveButton";
import { NewFromTemplateButton } from "../components/TemplateDialog";
import { EmptyState, Loading, QueryError } from "../components/QueryState";
import { enclosingCycles, useCycleChoice } from "../queries/cycleChoice";
import { formatDate, formatProgress, formatRelative } from "../lib/format";
import {
  NO_FILTERS,
  type ScoreboardFilters,
  type ScoreboardObjective,
  scoreboardGroups,
  scoreboardQuery,
  totalObjectives,
} from "../lib/scoreboard";
import { KIND_LABEL, LEVEL_LABEL, STATUS_COLOR, STATUS_LABEL, STATUSES } from "../lib/status";
import { useDirectory } from "../queries/directory";
import { useScoreboard } from "../queries/insights";
import { useMe } from "../queries/auth";
import { canWrite } from "../lib/permissions";

/** A Mantine colour ("teal.9") or a CSS colour as CSS. */
function cssColor(color: string): string {
  return color.startsWith("#") ? color : `var(--mantine-color-${color.replace(".", "-")})`;
}

export function ScoreboardView() {
  const { cycles, cycle } = useCycleChoice();
  const directory = useDirectory();
  const me = useMe();
  const [filters, setFilters] = useState<ScoreboardFilters>(NO_FILTERS);
  // A quarter's board also shows the objectives of the year containing it, marked as such.
  const board = useScoreboard(cycle?.id ?? null, { ...scoreboardQuery(filters), include_enclosing: true });
  const enclosing = enclosingCycles(cycles.data?.items ?? [], cycle);
  const cycleNames = useMemo(
    () => new Map((cycles.data?.items ?? []).map((item) => [item.id, item.name])),
    [cycles.data],
  );
  const groups = useMemo(() => (board.data ? scoreboardGroups(board.data, filters) : []), [board.data, filters]);
  const counts = board.data?.totals.objectives;
  const compliance = board.data?.compliance.overall;

  if (cycles.error) return <QueryError error={cycles.error} onRetry={() => void cycles.refetch()} />;
  if (cycles.isPending) return <Loading label="Loading cycles" />;
  if (!cycle) {
    return (
      <Stack>
        <Title order={1}>Scoreboard</Title>
        <EmptyState title="Start with a cycle" action={<NewCycleButton />}>
          Step 1 of 3: a cycle is the period your objectives cover, such as this quarter or this year (the form
          suggests both). Next you add an objective, then a key result that measures it.
        </EmptyState>
      </Stack>
    );
  }

  const set = (key: keyof ScoreboardFilters) => (value: string | null) => setFilters({ ...filters, [key]: value });
  const filtered = Object.values(filters).some(Boolean);

  return (
    <Stack gap="lg">
      <Group justify="space-between" align="flex-end">
        <div>
          <Title order={1}>Scoreboard</Title>
          <Text c="dimmed" size="sm">
            {cycle.name} · {formatDate(cycle.start_date)} – {formatDate(cycle.end_date)}
            {enclosing.length > 0 && ` · with the objectives of ${enclosing.map((c) => c.name).join(", ")}`}
          </Text>
        </div>
        <Group gap="xs">
          {cycle.state === "planning" && (
            <Button component={Link} to={`/cycles/${cycle.id}/plan`} variant="default">
              Plan this cycle
            </Button>
          )}
          {canWrite(me.data) && cycle.state !== "closed" && <NewFromTemplateButton cycle={cycle} />}
          <NewObjectiveButton cycleId={cycle.id} cycleName={cycle.name} />
        </Group>
      </Group>

      <section aria-label="Objectives by status">
        <SimpleGrid cols={{ base: 3, sm: 6 }} spacing="xs">
          <Paper withBorder p="sm">
            <Text size="xs" c="dimmed">
              Objectives
            </Text>
            <Text fw={700} size="xl" className="num" data-testid="count-all">
              {counts ? totalObjectives(counts) : "—"}
            </Text>
          </Paper>
          {STATUSES.map((status) => (
            <Paper key={status} withBorder p="sm" style={{ borderLeft: `4px solid ${cssColor(STATUS_COLOR[status])}` }}>
              <Text size="xs" c="dimmed">
                {STATUS_LABEL[status]}
              </Text>
              <Text fw={700} size="xl" className="num" data-testid={`count-${status}`}>
                {counts ? (counts[status] ?? 0) : "—"}
              </Text>
            </Paper>
          ))}
        </SimpleGrid>
      </section>

      {board.data?.kpis && <KpiPanel counts={board.data.kpis} />}

      <Group gap="sm" align="flex-end" role="search" aria-label="Filter objectives">
        <Select
          label="Team"
          placeholder="All teams"
          data={[{ value: "company", label: "Company" }, ...directory.teams.map((team) => ({ value: team.id, label: team.name }))]}
          value={filters.team}
          onChange={set("team")}
          clearable
          searchable
          w={{ base: "100%", xs: 180 }}
        />
        <Select
          label="Owner"
          placeholder="Anyone"
          data={directory.members.map((member) => ({ value: member.id, label: member.name }))}
          value={filters.owner}
          onChange={set("owner")}
          clearable
          searchable
          w={{ base: "100%", xs: 180 }}
        />
        <Select
          label="Level"
          placeholder="All levels"
          data={Object.entries(LEVEL_LABEL).map(([value, label]) => ({ value, label }))}
          value={filters.level}
          onChange={set("level")}
          clearable
          w={{ base: "47%", xs: 140 }}
        />
        <Select
          label="Kind"
          placeholder="All kinds"
          data={Object.entries(KIND_LABEL).map(([value, label]) => ({ value, label }))}
          value={filters.kind}
          onChange={set("kind")}
          clearable
          w={{ base: "47%", xs: 150 }}
        />
        <Select
          label="Status"
          placeholder="Any status"
          data={STATUSES.map((status) => ({ value: status, label: STATUS_LABEL[status] }))}
          value={filters.status}
          onChange={set("status")}
          clearable
          w={{ base: "100%", xs: 150 }}
        />
      </Group>

      {compliance && compliance.key_results > 0 && (
        <Text size="sm" data-testid="compliance">
          Check-in compliance: {compliance.on_time} of {compliance.key_results} key results checked in on time (
          {formatProgress(compliance.share)})
        </Text>
      )}

      {board.error ? (
        <QueryError error={board.error} onRetry={() => void board.refetch()} />
      ) : board.isPending ? (
        <Loading label="Loading the scoreboard" />
      ) : counts && totalObjectives(counts) === 0 && !filtered ? (
        <EmptyState title={`No objectives in ${cycle.name} yet`} action={<NewObjectiveButton cycleId={cycle.id} cycleName={cycle.name} />}>
          Next step: add an objective, what you want to achieve in {cycle.name}. Then give it a key result, the number
          that shows you got there.
        </EmptyState>
      ) : groups.length === 0 ? (
        <EmptyState
          title="Nothing matches these filters"
          action={
            <Anchor component="button" type="button" onClick={() => setFilters(NO_FILTERS)}>
              Clear the filters
            </Anchor>
          }
        >
          No objective of {cycle.name} matches every filter.
        </EmptyState>
      ) : (
        groups.map((group) => (
          <section key={group.teamId ?? "company"} aria-labelledby={`team-${group.teamId ?? "company"}`}>
            <Group gap="xs" mb="xs">
              <Title order={2} size="h4" id={`team-${group.teamId ?? "company"}`}>
                {group.name}
              </Title>
              <Badge variant="light" color="gray" c="gray.8">
                {group.rows.length}
              </Badge>
            </Group>
            <Stack gap="xs">
              {group.rows.map((row) => (
                <ObjectiveRow
                  key={row.id}
                  objective={row}
                  fromCycle={row.inherited ? (cycleNames.get(row.cycle_id) ?? "the enclosing cycle") : null}
                />
              ))}
            </Stack>
          </section>
        ))
      )}
    </Stack>
  );
}

function ObjectiveRow({ objective, fromCycle }: { objective: ScoreboardObjective; fromCycle: string | null }) {
  return (
    <Paper
      withBorder
      p="sm"
      data-testid="scoreboard-row"
      data-objective-id={objective.id}
      data-inherited={fromCycle ? "true" : undefined}
    >
      <Group justify="space-between" gap="sm" wrap="wrap">
        <Stack gap={2} style={{ flex: "1 1 320px", minWidth: 0 }}>
          <Anchor component={Link} to={`/objectives/${objective.id}`} fw={600} underline="hover">
            {objective.title}
          </Anchor>
          <Group gap={6}>
            <Badge size="xs" variant="outline" color="gray.8">
              {LEVEL_LABEL[objective.level]}
            </Badge>
            {fromCycle && (
              <Badge size="xs" variant="outline" color="indigo.9" data-testid="from-cycle" title={`An objective of ${fromCycle}`}>
                From {fromCycle}
              </Badge>
            )}
            {objective.kind === "aspirational" && (
              <Badge size="xs" variant="outline" color="violet.8">
                Aspirational
              </Badge>
            )}
            {objective.state !== "active" && (
              <Badge size="xs" variant="outline" color="gray.8">
                {objective.state}
              </Badge>
            )}
            <Text size="xs" c="dimmed">
              {objective.owner_name} · {objective.key_result_count} key result{objective.key_result_count === 1 ? "" : "s"}
            </Text>
          </Group>
        </Stack>
        <Group gap="md" wrap="wrap" style={{ flex: "1 1 300px" }} justify="flex-end">
          <ProgressBar
            progress={objective.progress}
            expected={objective.expected_progress}
            status={objective.status}
            label={`Progress of ${objective.title}`}
            flex="1 1 180px"
          />
          <Stack gap={0} align="center" w={48}>
            <Text size="xs" c="dimmed">
              Score
            </Text>
            <ScoreText score={objective.score} />
          </Stack>
          <Stack gap={0} align="center" w={56}>
            <Text size="xs" c="dimmed">
              Conf.
            </Text>
            <Confidence value={objective.latest_confidence} />
          </Stack>
          <Stack gap={2} align="flex-end" w={104}>
            <StatusBadge
              status={objective.status}
              explain={{ progress: objective.progress, expected: objective.expected_progress, subject: "objective" }}
            />
            <Text size="xs" c="dimmed" title={objective.last_check_in_at ?? undefined}>
              {objective.last_check_in_at ? formatRelative(objective.last_check_in_at) : "no check-in"}
            </Text>
          </Stack>
        </Group>
      </Group>
    </Paper>
  );
}
