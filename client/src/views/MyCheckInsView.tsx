/**
 * My check-ins: every key result the signed-in person owns in the chosen cycle on one screen — value, confidence
 * and note per row — saved together in ONE batch call (all or nothing; per-row errors land on their rows).
 */
import { Alert, Anchor, Badge, Button, Group, NumberInput, Paper, Stack, Text, TextInput, Title } from "@mantine/core";
import { notifications } from "@mantine/notifications";
import { type FormEvent, useMemo, useState } from "react";
import { Link } from "react-router";
import type { Schemas } from "../api/client";
import { StatusBadge } from "../components/Indicators";
import { EmptyState, Loading, QueryError } from "../components/QueryState";
import { useCycleChoice } from "../queries/cycleChoice";
import { formatRelative, formatValue } from "../lib/format";
import { fieldErrors, problemMessage } from "../lib/problem";
import { STATUS_SEVERITY } from "../lib/status";
import { checkInFields, type CheckInDraft, isBlankCheckIn, validateCheckIn } from "../lib/validation";
import { useMe } from "../queries/auth";
import { useBatchCheckIn, useObjectives } from "../queries/okrs";

interface Row {
  keyResult: Schemas["KeyResultPublic"];
  objective: Schemas["ObjectivePublic"];
}

/** My live key results in active objectives, due ones first, then worst status. */
export function myRows(objectives: Schemas["ObjectivePublic"][], memberId: string | undefined): Row[] {
  if (!memberId) return [];
  const rows: Row[] = [];
  for (const objective of objectives) {
    if (objective.state === "archived" || objective.state === "closed") continue;
    for (const keyResult of objective.key_results) {
      if (!keyResult.archived && keyResult.owner_id === memberId) rows.push({ keyResult, objective });
    }
  }
  const due = (row: Row) => (row.keyResult.stale || row.keyResult.last_check_in_at === null ? 0 : 1);
  return rows.sort(
    (a, b) =>
      due(a) - due(b) ||
      STATUS_SEVERITY[a.keyResult.status] - STATUS_SEVERITY[b.keyResult.status] ||
      a.keyResult.title.localeCompare(b.keyResult.title),
  );
}

const EMPTY: CheckInDraft = { value: "", confidence: "", note: "" };

export function MyCheckInsView() {
  const me = useMe();
  const { cycles, cycle } = useCycleChoice();
  const objectives = useObjectives(cycle ? { cycle_id: cycle.id } : null);
  const batch = useBatchCheckIn();
  const [drafts, setDrafts] = useState<Record<string, CheckInDraft>>({});
  const [errors, setErrors] = useState<Record<string, Record<string, string>>>({});
  const rows = useMemo(() => myRows(objectives.data?.items ?? [], me.data?.member?.id), [objectives.data, me.data]);
  const currency = me.data?.organisation.settings.currency ?? "EUR";
  const filled = rows.filter((row) => !isBlankCheckIn(drafts[row.keyResult.id] ?? EMPTY));

  if (cycles.error) return <QueryError error={cycles.error} onRetry={() => void cycles.refetch()} />;
  if (objectives.error) return <QueryError error={objectives.error} onRetry={() => void objectives.refetch()} />;
  if (cycles.isPending || (cycle && objectives.isPending)) return <Loading label="Loading your key results" />;

  const setDraft = (id: string, change: Partial<CheckInDraft>) =>
    setDrafts((current) => ({ ...current, [id]: { ...(current[id] ?? EMPTY), ...change } }));

  const submit = (event: FormEvent) => {
    event.preventDefault();
    const found: Record<string, Record<string, string>> = {};
    for (const row of filled) {
      const rowErrors = validateCheckIn(drafts[row.keyResult.id] ?? EMPTY, row.keyResult.metric);
      if (Object.keys(rowErrors).length) found[row.keyResult.id] = rowErrors;
    }
    setErrors(found);
    if (Object.keys(found).length > 0 || filled.length === 0) return;
    batch.mutate(
      {
        body: {
          items: filled.map((row) => ({ key_result_id: row.keyResult.id, ...checkInFields(drafts[row.keyResult.id] ?? EMPTY) })),
        },
      },
      {
        onSuccess: (result) => {
          notifications.show({ color: "teal", message: `Saved ${result.items.length} check-ins` });
          setDrafts({});
          batch.reset();
        },
        onError: (error) => {
          // Map `items.<i>.<field>` errors back to the rows that were sent.
          const byRow: Record<string, Record<string, string>> = {};
          for (const [path, message] of Object.entries(fieldErrors(error))) {
            const [, index, field] = path.split(".");
            const row = filled[Number(index)];
            if (row && field) byRow[row.keyResult.id] = { ...byRow[row.keyResult.id], [field]: message };
          }
          setErrors(byRow);
        },
      },
    );
  };

  return (
    <Stack gap="lg">
      <div>
        <Title order={1}>My check-ins</Title>
        <Text c="dimmed" size="sm">
          {cycle ? `${cycle.name}: ` : ""}every key result you own, in one go. Leave a row empty to skip it.
        </Text>
      </div>
      {!cycle ? (
        <EmptyState title="No cycle yet">Once your organisation has a cycle with key results, they show up here.</EmptyState>
      ) : rows.length === 0 ? (
        <EmptyState
          title={`You own no key results in ${cycle.name}`}
          action={
            <Anchor component={Link} to="/scoreboard">
              Go to the scoreboard
            </Anchor>
          }
        >
          Key results you own appear here, ready for a check-in.
        </EmptyState>
      ) : (
        <form onSubmit={submit} noValidate aria-label="My check-ins">
          <Stack gap="sm">
            {batch.error && (
              <Alert color="red" role="alert" title="Nothing was saved">
                {problemMessage(batch.error)}
              </Alert>
            )}
            {rows.map((row, index) => (
              <CheckInRow
                key={row.keyResult.id}
                row={row}
                index={index}
                currency={currency}
                draft={drafts[row.keyResult.id] ?? EMPTY}
                errors={errors[row.keyResult.id] ?? {}}
                onChange={(change) => setDraft(row.keyResult.id, change)}
              />
            ))}
            <Group justify="space-between" style={{ position: "sticky", bottom: 0 }} bg="var(--mantine-color-body)" py="sm">
              <Text size="sm" c="dimmed" aria-live="polite">
                {filled.length} of {rows.length} filled in
              </Text>
              <Button type="submit" loading={batch.isPending} disabled={filled.length === 0}>
                Save {filled.length || ""} check-in{filled.length === 1 ? "" : "s"}
              </Button>
            </Group>
          </Stack>
        </form>
      )}
    </Stack>
  );
}

function CheckInRow({
  row,
  index,
  currency,
  draft,
  errors,
  onChange,
}: {
  row: Row;
  index: number;
  currency: string;
  draft: CheckInDraft;
  errors: Record<string, string>;
  onChange: (change: Partial<CheckInDraft>) => void;
}) {
  const { keyResult, objective } = row;
  const fmt = (value: number) => formatValue(value, keyResult.metric, keyResult.unit, currency);
  const due = keyResult.stale || keyResult.last_check_in_at === null;
  const headingId = `my-kr-${index}`;
  return (
    <Paper withBorder p="sm" component="fieldset" aria-labelledby={headingId} data-testid="my-checkin-row" style={{ margin: 0 }}>
      <Group justify="space-between" align="flex-start" wrap="wrap" gap="sm">
        <Stack gap={2} style={{ flex: "1 1 260px", minWidth: 0 }}>
          <Text fw={600} id={headingId} component="legend" p={0}>
            {keyResult.title}
          </Text>
          <Anchor component={Link} to={`/objectives/${objective.id}`} size="xs">
            {objective.title}
          </Anchor>
          <Group gap={6}>
            <StatusBadge status={keyResult.status} size="xs" />
            {due && (
              <Badge size="xs" color="orange.9" variant="outline">
                Due
              </Badge>
            )}
            <Text size="xs" c="dimmed">
              now {fmt(keyResult.current_value)} → {fmt(keyResult.target_value)} · {formatRelative(keyResult.last_check_in_at)}
            </Text>
          </Group>
        </Stack>
        <Group gap="xs" align="flex-start" wrap="wrap" style={{ flex: "2 1 420px" }}>
          <TextInput
            label="Value"
            placeholder={String(keyResult.current_value)}
            inputMode="decimal"
            value={draft.value}
            onChange={(event) => onChange({ value: event.currentTarget.value })}
            error={errors.value}
            w={120}
            aria-describedby={headingId}
          />
          <NumberInput
            label="Confidence"
            placeholder={keyResult.latest_confidence === null ? "0–10" : String(keyResult.latest_confidence)}
            min={0}
            max={10}
            allowDecimal={false}
            value={draft.confidence === "" ? "" : Number(draft.confidence)}
            onChange={(value) => onChange({ confidence: value === "" ? "" : String(value) })}
            error={errors.confidence}
            w={110}
          />
          <TextInput
            label="Note"
            value={draft.note}
            onChange={(event) => onChange({ note: event.currentTarget.value })}
            error={errors.note}
            style={{ flex: "1 1 160px" }}
          />
        </Group>
      </Group>
    </Paper>
  );
}
