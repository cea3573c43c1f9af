/** Planning a cycle: last cycle's results beside this cycle's drafts; carry-over with a preview; live ambition. */
import { Alert, Badge, Button, Group, NativeSelect, SimpleGrid, Stack, Text, Title } from "@mantine/core";
import { notifications } from "@mantine/notifications";
import { useMemo, useState } from "react";
import { useParams } from "react-router";
import type { Schemas } from "../../api/client";
import { EmptyState, Loading, QueryError } from "../../components/QueryState";
import { NewFromTemplateButton } from "../../components/TemplateDialog";
import { formatDate } from "../../lib/format";
import { canWrite } from "../../lib/permissions";
import { type CarrySelection, carryOverBody, DEFAULT_LOW_AMBITION, previousCycle } from "../../lib/planning";
import { problemMessage } from "../../lib/problem";
import { useMe } from "../../queries/auth";
import { useCycles, useObjectives } from "../../queries/okrs";
import { useCarryOver } from "../../queries/planning";
import { CarryOverResult } from "./CarryOverResult";
import { DraftsColumn } from "./DraftsColumn";
import { SourceColumn, SourceHeading } from "./SourceColumn";

const live = (objectives: Schemas["ObjectivePublic"][] | undefined) =>
  (objectives ?? []).filter((objective) => objective.state !== "archived");

export function PlanningView() {
  const { cycleId = "" } = useParams();
  const cycles = useCycles();
  const me = useMe();
  const [chosenSource, setChosenSource] = useState<string | null>(null);
  const [selection, setSelection] = useState<CarrySelection>({});
  const [result, setResult] = useState<Schemas["CarryOverResult"] | null>(null);
  const carry = useCarryOver();
  const cycle = cycles.data?.items.find((item) => item.id === cycleId) ?? null;
  const sources = (cycles.data?.items ?? []).filter((item) => item.id !== cycleId && item.state !== "planning");
  const source = sources.find((item) => item.id === chosenSource) ?? (cycle && previousCycle(sources, cycle));
  const sourceObjectives = useObjectives(source ? { cycle_id: source.id } : null);
  const drafts = useObjectives(cycle ? { cycle_id: cycle.id } : null);
  const settings = me.data?.organisation.settings;
  const threshold = settings?.low_ambition_threshold ?? DEFAULT_LOW_AMBITION;
  const currency = settings?.currency ?? "EUR";
  const previous = useMemo(() => live(sourceObjectives.data?.items), [sourceObjectives.data]);
  const originalStarts = useMemo(
    () => new Map(previous.flatMap((objective) => objective.key_results.map((kr) => [kr.id, kr.start_value] as const))),
    [previous],
  );
  const draftItems = useMemo(() => live(drafts.data?.items), [drafts.data]);
  const carried = useMemo(
    () =>
      new Set(
        draftItems.flatMap((o) => [o.carried_from, ...o.key_results.map((kr) => kr.carried_from)]).filter(Boolean) as string[],
      ),
    [draftItems],
  );
  const titles = useMemo(
    () => new Map(previous.flatMap((o) => [[o.id, o.title] as const, ...o.key_results.map((kr) => [kr.id, kr.title] as const)])),
    [previous],
  );

  if (cycles.error) return <QueryError error={cycles.error} onRetry={() => void cycles.refetch()} />;
  if (cycles.isPending) return <Loading label="Loading cycles" />;
  if (!cycle) return <EmptyState title="No such cycle">It may have been deleted, or belong to another organisation.</EmptyState>;
  const writable = canWrite(me.data) && cycle.state !== "closed";
  const picked = Object.values(selection).some((ids) => ids.length > 0);
  const choose = (next: CarrySelection) => {
    setSelection(next);
    setResult(null);
  };
  const send = (dryRun: boolean) => {
    if (!source) return;
    carry.mutate(
      { params: { path: { cycle_id: cycle.id } }, body: carryOverBody(selection, previous, source.id, dryRun) },
      {
        onSuccess: (answer) => {
          setResult(answer);
          if (!answer.dry_run) {
            setSelection({});
            notifications.show({ color: "teal", message: `Carried ${answer.objectives.length} objectives into ${cycle.name}` });
          }
        },
        onError: (error) => notifications.show({ color: "red", title: "Not carried", message: problemMessage(error) }),
      },
    );
  };

  return (
    <Stack gap="lg">
      <Group justify="space-between" align="flex-end">
        <div>
          <Group gap="sm">
            <Title order={1}>Plan {cycle.name}</Title>
            <Badge variant="outline" color="gray.8">
              {cycle.state}
            </Badge>
          </Group>
          <Text c="dimmed" size="sm">
            {formatDate(cycle.start_date)} – {formatDate(cycle.end_date)} · carry last cycle's objectives over, with
            what they reached as the baseline of ambition
          </Text>
        </div>
        {writable && <NewFromTemplateButton cycle={cycle} />}
      </Group>
      {cycle.state !== "planning" && (
        <Alert color="gray" variant="light">
          This cycle is {cycle.state}: {cycle.state === "closed" ? "nothing can be carried into it." : "copies are created active."}
        </Alert>
      )}
      <SimpleGrid cols={{ base: 1, lg: 2 }} spacing="lg">
        <Stack gap="sm">
          <Group justify="space-between" align="flex-end">
            <SourceHeading name={source?.name ?? "none"} />
            <NativeSelect
              label="Carry from"
              value={source?.id ?? ""}
              onChange={(event) => {
                setChosenSource(event.currentTarget.value);
                choose({});
              }}
              data={[
                ...(source ? [] : [{ value: "", label: "Choose a cycle" }]),
                ...sources.map((item) => ({ value: item.id, label: item.name })),
              ]}
            />
          </Group>
          {!source ? (
            <EmptyState title="No earlier cycle">Nothing to carry over yet: start from a template instead.</EmptyState>
          ) : sourceObjectives.error ? (
            <QueryError error={sourceObjectives.error} onRetry={() => void sourceObjectives.refetch()} />
          ) : sourceObjectives.isPending ? (
            <Loading label="Loading last cycle" />
          ) : previous.length === 0 ? (
            <EmptyState title="No objectives there">{source.name} has no objectives to carry.</EmptyState>
          ) : (
            <>
              <SourceColumn objectives={previous} selection={selection} onChange={choose} carried={carried} currency={currency} />
              {writable && (
                <Group gap="sm" style={{ position: "sticky", bottom: 0 }}>
                  <Button variant="default" disabled={!picked} loading={carry.isPending && !result} onClick={() => send(true)}>
                    Preview
                  </Button>
                  <Button disabled={!picked || !result?.dry_run} loading={carry.isPending && !!result} onClick={() => send(false)}>
                    Carry over
                  </Button>
                  {!result && picked && (
                    <Text size="xs" c="dimmed">
                      Preview first: see what will be created and what won't.
                    </Text>
                  )}
                </Group>
              )}
              {result && <CarryOverResult result={result} titles={titles} />}
            </>
          )}
        </Stack>
        <Stack gap="sm">
          <Title order={2} size="h3">
            Drafts in {cycle.name}
          </Title>
          {drafts.error ? (
            <QueryError error={drafts.error} onRetry={() => void drafts.refetch()} />
          ) : drafts.isPending ? (
            <Loading label="Loading this cycle's objectives" />
          ) : draftItems.length === 0 ? (
            <EmptyState title="Nothing planned yet">Carry objectives over from the last cycle, or start from a template.</EmptyState>
          ) : (
            <DraftsColumn
              objectives={draftItems}
              originalStarts={originalStarts}
              threshold={threshold}
              writable={writable}
              cycleState={cycle.state}
              currency={currency}
            />
          )}
        </Stack>
      </SimpleGrid>
    </Stack>
  );
}
