/**
 * My check-ins: every key result the signed-in person owns in every active cycle on one screen, due ones first (due =
 * no check-in within its cadence), each row marked due or not due, with a one-click "No change" (same value, the
 * confidence to confirm) — saved together in ONE batch call (all or nothing; per-row errors land on their rows).
 */
import { Alert, Anchor, Badge, Button, Group, NumberInput, Paper, Stack, Text, TextInput, Title } from "@mantine/core";
import { notifications } from "@mantine/notifications";
import { type FormEvent, useEffect, useRef, useState } from "react";
import { Link, useSearchParams } from "react-router";
import type { Schemas } from "../api/client";
import { StatusBadge } from "../components/Indicators";
import { EmptyState, Loading, QueryError } from "../components/QueryState";
import { formatRelative, formatKeyResultValue } from "../lib/format";
import { fieldErrors, problemMessage } from "../lib/problem";
import { checkInFields, type CheckInDraft, isBlankCheckIn, validateCheckIn } from "../lib/validation";
import { useMe } from "../queries/auth";
import { useMyKeyResults } from "../queries/myCheckIns";
import { useBatchCheckIn } from "../queries/okrs";

type Row = Schemas["MyKeyResult"];

const EMPTY: CheckInDraft = { value: "", confidence: "", note: "" };

/** "No change": the same value again, with the last confidence to confirm or change. */
export function noChangeDraft(row: Row, draft: CheckInDraft): CheckInDraft {
  const kr = row.key_result;
  return { ...draft, value: String(kr.current_value), confidence: kr.latest_confidence === null ? draft.confidence : String(kr.latest_confidence) };
}

export function MyCheckInsView() {
  // A reminder opens the page on its key result (`?key_result=<id>`): that row is marked and its value focused.
  const [params] = useSearchParams();
  const asked = params.get("key_result");
  const me = useMe();
  const mine = useMyKeyResults();
  const batch = useBatchCheckIn();
  const [drafts, setDrafts] = useState<Record<string, CheckInDraft>>({});
  const [errors, setErrors] = useState<Record<string, Record<string, string>>>({});
  const rows = mine.data?.items ?? [];
  const currency = me.data?.organisation.settings.currency ?? "EUR";
  const filled = rows.filter((row) => !isBlankCheckIn(drafts[row.key_result.id] ?? EMPTY));
  const dueCount = rows.filter((row) => row.due).length;

  if (mine.error) return <QueryError error={mine.error} onRetry={() => void mine.refetch()} />;
  if (mine.isPending) return <Loading label="Loading your key results" />;

  const setDraft = (id: string, change: Partial<CheckInDraft>) =>
    setDrafts((current) => ({ ...current, [id]: { ...(current[id] ?? EMPTY), ...change } }));

  const submit = (event: FormEvent) => {
    event.preventDefault();
    const found: Record<string, Record<string, string>> = {};
    for (const row of filled) {
      const rowErrors = validateCheckIn(drafts[row.key_result.id] ?? EMPTY, row.key_result.metric, row.key_result.target_value);
      if (Object.keys(rowErrors).length) found[row.key_result.id] = rowErrors;
    }
    setErrors(found);
    if (Object.keys(found).length > 0 || filled.length === 0) return;
    batch.mutate(
      {
        body: {
          items: filled.map((row) => ({ key_result_id: row.key_result.id, ...checkInFields(drafts[row.key_result.id] ?? EMPTY) })),
        },
      },
      {
        onSuccess: (result) => {
          notifications.show({ color: "teal", message: `Saved ${result.items.length} check-ins` });
          setDrafts({});
          batch.reset();
          void mine.refetch();
        },
        onError: (error) => {
          // Map `items.<i>.<field>` errors back to the rows that were sent.
          const byRow: Record<string, Record<string, string>> = {};
          for (const [path, message] of Object.entries(fieldErrors(error))) {
            const [, index, field] = path.split(".");
            const row = filled[Number(index)];
            if (row && field) byRow[row.key_result.id] = { ...byRow[row.key_result.id], [field]: message };
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
          Every key result you own in the active cycles, in one go; due ones first. Leave a row empty to skip it.
        </Text>
        {rows.length > 0 && (
          <Text size="sm" data-testid="due-count">
            {dueCount === 0 ? "Nothing is due." : `${dueCount} of ${rows.length} due for a check-in.`}
          </Text>
        )}
      </div>
      {rows.length === 0 ? (
        <EmptyState
          title="You own no key results in the active cycles"
          action={
            <Anchor component={Link} to="/scoreboard">
              Open the scoreboard to add or take on a key result
            </Anchor>
          }
        >
          Key results you own appear here, ready for a check-in. On the scoreboard, open an objective and add a key
          result with you as its owner.
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
                key={row.key_result.id}
                row={row}
                index={index}
                focused={row.key_result.id === asked}
                currency={currency}
                draft={drafts[row.key_result.id] ?? EMPTY}
                errors={errors[row.key_result.id] ?? {}}
                onChange={(change) => setDraft(row.key_result.id, change)}
                onNoChange={() => setDraft(row.key_result.id, noChangeDraft(row, drafts[row.key_result.id] ?? EMPTY))}
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
  focused,
  currency,
  draft,
  errors,
  onChange,
  onNoChange,
}: {
  row: Row;
  index: number;
  focused: boolean;
  currency: string;
  draft: CheckInDraft;
  errors: Record<string, string>;
  onChange: (change: Partial<CheckInDraft>) => void;
  onNoChange: () => void;
}) {
  const keyResult = row.key_result;
  const fmt = (value: number) => formatKeyResultValue(keyResult, value, currency);
  const headingId = `my-kr-${index}`;
  const value = useRef<HTMLInputElement>(null);
  useEffect(() => {
    if (focused) value.current?.focus(); // focusing scrolls the row into view
  }, [focused]);
  return (
    <Paper
      withBorder
      p="sm"
      component="fieldset"
      aria-labelledby={headingId}
      data-testid="my-checkin-row"
      data-due={row.due ? "true" : "false"}
      data-focused={focused ? "true" : undefined}
      style={{ margin: 0, ...(focused ? { borderColor: "var(--mantine-primary-color-filled)", borderWidth: 2 } : {}) }}
    >
      <Group justify="space-between" align="flex-start" wrap="wrap" gap="sm">
        <Stack gap={2} style={{ flex: "1 1 260px", minWidth: 0 }}>
          <Text fw={600} id={headingId} component="legend" p={0}>
            {keyResult.title}
          </Text>
          <Anchor component={Link} to={`/objectives/${keyResult.objective_id}`} size="xs">
            {row.objective_title}
          </Anchor>
          <Group gap={6}>
            <StatusBadge
              status={keyResult.status}
              size="xs"
              explain={{
                progress: keyResult.progress,
                expected: keyResult.expected_progress,
                confidence: keyResult.latest_confidence,
                subject: "key_result",
              }}
            />
            {row.due ? (
              <Badge size="xs" color="orange.9" variant="outline" data-testid="due-mark">
                Due
              </Badge>
            ) : (
              <Badge size="xs" color="gray.8" variant="outline" data-testid="due-mark">
                Not due
              </Badge>
            )}
            <Text size="xs" c="dimmed">
              {row.cycle_name} · last check-in {formatRelative(keyResult.last_check_in_at)}
            </Text>
          </Group>
        </Stack>
        <Group gap="xs" align="flex-start" wrap="wrap" style={{ flex: "2 1 420px" }}>
          <TextInput
            ref={value}
            label="Value"
            description={`Now ${fmt(keyResult.current_value)} of ${fmt(keyResult.target_value)}`}
            inputMode="decimal"
            value={draft.value}
            onChange={(event) => onChange({ value: event.currentTarget.value })}
            error={errors.value}
            w={150}
          />
          <NumberInput
            label="Confidence"
            description={keyResult.latest_confidence === null ? "0 to 10" : `Last ${keyResult.latest_confidence} of 10`}
            min={0}
            max={10}
            allowDecimal={false}
            value={draft.confidence === "" ? "" : Number(draft.confidence)}
            onChange={(value) => onChange({ confidence: value === "" ? "" : String(value) })}
            error={errors.confidence}
            w={120}
          />
          <TextInput
            label="Note"
            value={draft.note}
            onChange={(event) => onChange({ note: event.currentTarget.value })}
            error={errors.note}
            style={{ flex: "1 1 160px" }}
          />
          <Button
            variant="light"
            size="xs"
            mt={{ base: 0, sm: 42 }}
            onClick={onNoChange}
            aria-label={`No change for ${keyResult.title}`}
          >
            No change
          </Button>
        </Group>
      </Group>
    </Paper>
  );
}
