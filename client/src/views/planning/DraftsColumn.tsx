/** This cycle's objectives and key results; each measured key result's target is editable and shows its ambition
 * against last period live, as it is typed, with the low-ambition warning before the cycle starts. */
import { Alert, Anchor, Badge, Button, Group, Paper, Stack, Text, TextInput } from "@mantine/core";
import { notifications } from "@mantine/notifications";
import { useState } from "react";
import { Link } from "react-router";
import type { Schemas } from "../../api/client";
import { formatKeyResultValue } from "../../lib/format";
import { ambitionText, baselineOf, isLowAmbition, liveAmbition, measuresAmbition } from "../../lib/planning";
import { problemMessage } from "../../lib/problem";
import { useUpdateKeyResult } from "../../queries/okrs";

type KeyResult = Schemas["KeyResultPublic"];

function DraftKeyResult({
  keyResult,
  baseline,
  threshold,
  writable,
  currency,
}: {
  keyResult: KeyResult;
  baseline: number | undefined;
  threshold: number;
  writable: boolean;
  currency: string;
}) {
  const [typed, setTyped] = useState<string | undefined>(undefined);
  const update = useUpdateKeyResult();
  const measured = measuresAmbition(keyResult);
  const value = measured ? liveAmbition(keyResult, typed, baseline) : null;
  const low = measured && isLowAmbition(value, threshold);
  const target = typed === undefined ? keyResult.target_value : Number(typed);
  const changed = typed !== undefined && typed.trim() !== "" && Number.isFinite(target) && target !== keyResult.target_value;
  const save = () =>
    update.mutate(
      { params: { path: { key_result_id: keyResult.id } }, ifMatch: keyResult, body: { target_value: target } },
      {
        onSuccess: () => {
          setTyped(undefined);
          notifications.show({ color: "teal", message: `Target of ${keyResult.title} saved` });
        },
        onError: (error) => notifications.show({ color: "red", title: "Not saved", message: problemMessage(error) }),
      },
    );
  const fmt = (v: number) => formatKeyResultValue(keyResult, v, currency);
  return (
    <Stack gap={2} data-draft-kr={keyResult.title}>
      <Group justify="space-between" wrap="wrap" gap="xs" align="flex-end">
        <div style={{ minWidth: 0, flex: "1 1 200px" }}>
          <Text size="sm" fw={600}>
            {keyResult.title}
          </Text>
          <Text size="xs" c="dimmed">
            Start {fmt(keyResult.start_value)}
            {keyResult.previous_value !== null && ` · last period reached ${fmt(keyResult.previous_value)}`}
            {keyResult.carried_from && " · carried over"}
          </Text>
        </div>
        {writable ? (
          <Group gap={4} align="flex-end" wrap="nowrap">
            <TextInput
              size="xs"
              w={120}
              label={`Target for ${keyResult.title}`}
              classNames={{ label: "visually-hidden-label" }}
              inputMode="decimal"
              value={typed ?? String(keyResult.target_value)}
              onChange={(event) => setTyped(event.currentTarget.value)}
            />
            <Button size="compact-sm" variant="light" disabled={!changed} loading={update.isPending} onClick={save}>
              Save<span className="visually-hidden-label"> target of {keyResult.title}</span>
            </Button>
          </Group>
        ) : (
          <Text size="sm" className="num">
            Target {fmt(keyResult.target_value)}
          </Text>
        )}
      </Group>
      {measured && (
        <Text size="xs" c={low ? "red.9" : "dimmed"} aria-live="polite" data-testid="ambition">
          {ambitionText(value)}
          {low && " — low ambition: the target does not reach further than last period"}
        </Text>
      )}
    </Stack>
  );
}

export function DraftsColumn({
  objectives,
  originalStarts,
  threshold,
  writable,
  cycleState,
  currency,
}: {
  objectives: Schemas["ObjectivePublic"][];
  /** The start values of the key results shown as last cycle's, by id (a carried level's baseline). */
  originalStarts: ReadonlyMap<string, number>;
  threshold: number;
  writable: boolean;
  cycleState: string;
  currency: string;
}) {
  const lows = objectives
    .flatMap((objective) => objective.key_results.filter((kr) => !kr.archived))
    .filter(
      (kr) =>
        measuresAmbition(kr) && isLowAmbition(liveAmbition(kr, undefined, baselineOf(kr, originalStarts)), threshold),
    );
  return (
    <Stack gap="sm">
      {cycleState === "planning" && lows.length > 0 && (
        <Alert color="orange" variant="light" title="Low ambition before the cycle starts">
          {lows.length === 1 ? "One key result aims" : `${lows.length} key results aim`} no further than last period
          (ambition at or below {Math.round(threshold * 100)} %): raise the target, or say why in its description.
        </Alert>
      )}
      {objectives.map((objective) => (
        <Paper key={objective.id} withBorder p="sm" data-draft-objective={objective.title}>
          <Group justify="space-between" wrap="nowrap" mb="xs">
            <Anchor component={Link} to={`/objectives/${objective.id}`} fw={600}>
              {objective.title}
            </Anchor>
            <Badge variant="outline" color="gray.8" size="sm">
              {objective.state}
            </Badge>
          </Group>
          <Stack gap="sm">
            {objective.key_results
              .filter((kr) => !kr.archived)
              .map((kr) => (
                <DraftKeyResult
                  key={kr.id}
                  keyResult={kr}
                  baseline={baselineOf(kr, originalStarts)}
                  threshold={threshold}
                  writable={writable}
                  currency={currency}
                />
              ))}
          </Stack>
        </Paper>
      ))}
    </Stack>
  );
}
