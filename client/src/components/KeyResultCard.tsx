/** One key result on its objective's page: figures, chart, check-in form, history, edit and archive. */
import { Badge, Button, Grid, Group, Menu, Modal, Paper, Stack, Tabs, Text, Title } from "@mantine/core";
import { useDisclosure } from "@mantine/hooks";
import { notifications } from "@mantine/notifications";
import { IconDots } from "@tabler/icons-react";
import { useState } from "react";
import type { Schemas } from "../api/client";
import { formatDateTime, formatRelative, formatKeyResultValue } from "../lib/format";
import { fieldErrors, isConflict } from "../lib/problem";
import { CADENCE_LABEL, DIRECTION_LABEL } from "../lib/status";
import { keyResultChanges, keyResultDraftOf } from "../lib/validation";
import { useDirectory } from "../queries/directory";
import { useArchiveKeyResult, useCheckInHistory, useUpdateKeyResult } from "../queries/okrs";
import { CheckInForm } from "./CheckInForm";
import { CommentThread } from "./comments/CommentThread";
import { CheckInHistory } from "./CheckInHistory";
import { FormProblem } from "./FormProblem";
import { KeyResultForm } from "./forms/KeyResultForm";
import { Confidence, ProgressBar, ScoreText, StatusBadge } from "./Indicators";
import { KeyResultChart } from "./KeyResultChart";
import { keyResultKind, KeyResultState } from "./KeyResultState";
import { Loading, QueryError } from "./QueryState";

export function KeyResultCard({
  keyResult,
  cycle,
  currency,
  canWrite,
}: {
  keyResult: Schemas["KeyResultPublic"];
  cycle: Schemas["CyclePublic"] | undefined;
  currency: string;
  canWrite: boolean;
}) {
  const history = useCheckInHistory(keyResult.id);
  const directory = useDirectory();
  const [editing, { open: openEdit, close: closeEdit }] = useDisclosure(false);
  const archive = useArchiveKeyResult();
  const fmt = (value: number) => formatKeyResultValue(keyResult, value, currency);
  const headingId = `kr-${keyResult.id}`;
  const kind = keyResultKind(keyResult);

  return (
    <Paper withBorder p="md" component="article" aria-labelledby={headingId} data-testid="key-result" data-key-result-id={keyResult.id}>
      <Stack gap="sm">
        <Group justify="space-between" align="flex-start" wrap="wrap" gap="xs">
          <Stack gap={2} style={{ flex: "1 1 240px", minWidth: 0 }}>
            <Title order={3} size="h5" id={headingId}>
              {keyResult.title}
            </Title>
            <Text size="xs" c="dimmed">
              {directory.memberName(keyResult.owner_id)} · {DIRECTION_LABEL[keyResult.direction]} ·{" "}
              {CADENCE_LABEL[keyResult.cadence]} check-ins
              {keyResult.weight !== 1 ? ` · weight ${keyResult.weight}` : ""}
            </Text>
          </Stack>
          <Group gap="xs" wrap="nowrap" ml="auto">
            {keyResult.stale && (
              <Badge color="orange.9" variant="outline" size="sm">
                Check-in due
              </Badge>
            )}
            <StatusBadge
              status={keyResult.status}
              explain={{
                progress: keyResult.progress,
                expected: keyResult.expected_progress,
                confidence: keyResult.latest_confidence,
                subject: "key_result",
              }}
            />
            {canWrite && (
              <Menu position="bottom-end" withinPortal>
                <Menu.Target>
                  <Button variant="subtle" size="compact-sm" aria-label={`More actions for ${keyResult.title}`}>
                    <IconDots size={16} aria-hidden />
                  </Button>
                </Menu.Target>
                <Menu.Dropdown>
                  <Menu.Item onClick={openEdit}>Edit key result</Menu.Item>
                  <Menu.Item
                    color="red"
                    onClick={() =>
                      archive.mutate(
                        {
                          params: { path: { key_result_id: keyResult.id } },
                          ifMatch: keyResult,
                        },
                        {
                          onSuccess: () => notifications.show({ message: `Archived ${keyResult.title}` }),
                          onError: (error) =>
                            notifications.show({
                              color: "red",
                              message: isConflict(error)
                                ? "Someone changed this key result meanwhile; look again before archiving."
                                : "Could not archive the key result.",
                            }),
                        },
                      )
                    }
                  >
                    Archive key result
                  </Menu.Item>
                </Menu.Dropdown>
              </Menu>
            )}
          </Group>
        </Group>

        <Grid gap="sm">
          <Grid.Col span={{ base: 6, sm: 3 }}>
            <Figure label="Current" value={fmt(keyResult.current_value)} testId="kr-current" />
          </Grid.Col>
          <Grid.Col span={{ base: 6, sm: 3 }}>
            <Figure
              label="Target"
              value={fmt(keyResult.target_value)}
              detail={keyResult.stretch_value !== null ? `stretch ${fmt(keyResult.stretch_value)}` : undefined}
            />
          </Grid.Col>
          <Grid.Col span={{ base: 6, sm: 3 }}>
            {kind === "target" ? (
              <Figure
                label="Expected by now"
                value={fmt(keyResult.expected_value)}
                detail={keyResult.previous_value !== null ? `last period ${fmt(keyResult.previous_value)}` : undefined}
              />
            ) : (
              <Figure
                label={kind === "milestone" ? "Kind" : "Threshold"}
                value={kind === "milestone" ? "Milestone" : `${keyResult.direction === "at_most" ? "≤" : "≥"} ${fmt(keyResult.target_value)}`}
              />
            )}
          </Grid.Col>
          <Grid.Col span={{ base: 6, sm: 3 }}>
            <Stack gap={0}>
              <Text size="xs" c="dimmed">
                Score · confidence
              </Text>
              <Group gap="xs">
                <span data-testid="kr-score">
                  <ScoreText score={keyResult.score} />
                </span>
                <Confidence value={keyResult.latest_confidence} />
              </Group>
              <Text size="xs" c="dimmed" title={formatDateTime(keyResult.last_check_in_at)}>
                {keyResult.last_check_in_at ? `checked in ${formatRelative(keyResult.last_check_in_at)}` : "no check-in yet"}
              </Text>
            </Stack>
          </Grid.Col>
        </Grid>
        {kind === "target" ? (
          <ProgressBar
            progress={keyResult.progress}
            expected={keyResult.expected_progress}
            status={keyResult.status}
            label={`Progress of ${keyResult.title}`}
          />
        ) : (
          <KeyResultState keyResult={keyResult} currency={currency} />
        )}

        <Tabs defaultValue={canWrite ? "check-in" : "chart"} keepMounted={false}>
          <Tabs.List aria-label={`Views of ${keyResult.title}`}>
            {canWrite && <Tabs.Tab value="check-in">Check in</Tabs.Tab>}
            <Tabs.Tab value="chart">Chart</Tabs.Tab>
            <Tabs.Tab value="history">History{history.data ? ` (${history.data.items.length})` : ""}</Tabs.Tab>
            <Tabs.Tab value="comments">Comments</Tabs.Tab>
          </Tabs.List>
          {canWrite && (
            <Tabs.Panel value="check-in" pt="sm">
              <CheckInForm keyResult={keyResult} />
            </Tabs.Panel>
          )}
          <Tabs.Panel value="chart" pt="sm">
            {history.error ? (
              <QueryError error={history.error} onRetry={() => void history.refetch()} />
            ) : history.isPending || !cycle ? (
              <Loading label="Loading check-ins" />
            ) : (
              <KeyResultChart keyResult={keyResult} cycle={cycle} checkIns={history.data.items} currency={currency} />
            )}
          </Tabs.Panel>
          <Tabs.Panel value="history" pt="sm">
            {history.error ? (
              <QueryError error={history.error} onRetry={() => void history.refetch()} />
            ) : history.isPending ? (
              <Loading label="Loading check-ins" />
            ) : (
              <CheckInHistory
                keyResult={keyResult}
                checkIns={history.data.items}
                currency={currency}
                memberName={directory.memberName}
                canWrite={canWrite}
              />
            )}
          </Tabs.Panel>
          <Tabs.Panel value="comments" pt="sm">
            <CommentThread targetType="key_result" targetId={keyResult.id} order={4} title={`Comments on ${keyResult.title}`} />
          </Tabs.Panel>
        </Tabs>
      </Stack>
      {editing && <EditKeyResultDialog keyResult={keyResult} cycle={cycle} onClose={closeEdit} />}
    </Paper>
  );
}

function Figure({ label, value, detail, testId }: { label: string; value: string; detail?: string | undefined; testId?: string }) {
  return (
    <Stack gap={0}>
      <Text size="xs" c="dimmed">
        {label}
      </Text>
      <Text fw={700} className="num" data-testid={testId}>
        {value}
      </Text>
      {detail && (
        <Text size="xs" c="dimmed">
          {detail}
        </Text>
      )}
    </Stack>
  );
}

/** Edit with If-Match on the version read when the dialog opened: a concurrent edit shows as a conflict. */
function EditKeyResultDialog({
  keyResult,
  cycle,
  onClose,
}: {
  keyResult: Schemas["KeyResultPublic"];
  cycle: Schemas["CyclePublic"] | undefined;
  onClose: () => void;
}) {
  const [snapshot] = useState(keyResult);
  const update = useUpdateKeyResult();
  const before = keyResultDraftOf(snapshot);
  return (
    <Modal opened onClose={onClose} title={`Edit ${snapshot.title}`} size="lg">
      {isConflict(update.error) ? (
        <FormProblem error={update.error} title="Someone changed this key result while you were editing" />
      ) : (
        <FormProblem error={update.error} />
      )}
      <KeyResultForm
        initial={before}
        {...(cycle ? { cycle } : {})}
        serverErrors={fieldErrors(update.error)}
        submitting={update.isPending}
        submitLabel="Save key result"
        onCancel={onClose}
        onSubmit={(draft) =>
          update.mutate(
            {
              params: { path: { key_result_id: snapshot.id } },
              ifMatch: snapshot,
              body: keyResultChanges(before, draft),
            },
            { onSuccess: onClose },
          )
        }
      />
    </Modal>
  );
}
