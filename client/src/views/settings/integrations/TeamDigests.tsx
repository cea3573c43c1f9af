/** Team digests: a team's weekly summary (at risk, status changes, check-ins due) sent to a chat channel or endpoint
 * on a weekday and hour of the organisation's time zone; preview it, send one now. */
import { Alert, Button, Group, List, Modal, Paper, Select, Stack, Text } from "@mantine/core";
import { notifications } from "@mantine/notifications";
import { type FormEvent, useState } from "react";
import type { Schemas } from "../../../api/client";
import { FormProblem } from "../../../components/FormProblem";
import { Loading, QueryError } from "../../../components/QueryState";
import { formatDate, formatRelative } from "../../../lib/format";
import { WEEKDAYS } from "../../../lib/integrationForm";
import { fieldErrors, problemMessage } from "../../../lib/problem";
import { useDirectory } from "../../../queries/directory";
import { useCreateDigest, useDeleteDigest, useDigestPreview, useDigests, useSendDigest } from "../../../queries/integrations";
import { useWebhookEndpoints } from "../../../queries/webhooks";

type Endpoint = Schemas["EndpointPublic"];
const HOURS = Array.from({ length: 24 }, (_, hour) => ({ value: String(hour), label: `${String(hour).padStart(2, "0")}:00` }));
const DAYS = WEEKDAYS.map((label, index) => ({ value: String(index + 1), label }));

function endpointName(endpoint: Endpoint | undefined): string {
  if (!endpoint) return "A removed endpoint";
  const kind = endpoint.format === "slack" ? "Slack" : endpoint.format === "teams" ? "Teams" : "Webhook";
  return `${kind}: ${endpoint.description || endpoint.url}`;
}

export function TeamDigests() {
  const digests = useDigests(true);
  const endpoints = useWebhookEndpoints(true);
  const directory = useDirectory();
  const [previewOf, setPreviewOf] = useState<string | null>(null);
  if (digests.error) return <QueryError error={digests.error} onRetry={() => void digests.refetch()} />;
  if (digests.isPending || endpoints.isPending) return <Loading label="Loading team digests" />;
  const byId = new Map((endpoints.data?.items ?? []).map((endpoint) => [endpoint.id, endpoint]));
  return (
    <Stack gap="sm">
      <Text size="sm" c="dimmed">
        Once a week, each team's key results at risk, the status changes of the past 7 days and the check-ins due.
      </Text>
      {digests.data.items.map((digest) => (
        <DigestRow
          key={digest.id}
          digest={digest}
          teamName={directory.teamName(digest.team_id)}
          endpoint={endpointName(byId.get(digest.endpoint_id))}
          onPreview={() => setPreviewOf(digest.team_id)}
        />
      ))}
      <AddDigestForm teams={directory.teams} endpoints={endpoints.data?.items ?? []} />
      {previewOf && <DigestPreview teamId={previewOf} teamName={directory.teamName(previewOf)} onClose={() => setPreviewOf(null)} />}
    </Stack>
  );
}

function DigestRow({
  digest,
  teamName,
  endpoint,
  onPreview,
}: {
  digest: Schemas["TeamDigestPublic"];
  teamName: string;
  endpoint: string;
  onPreview: () => void;
}) {
  const send = useSendDigest();
  const remove = useDeleteDigest();
  const fail = (title: string) => (error: unknown) => notifications.show({ color: "red", title, message: problemMessage(error) });
  return (
    <Paper withBorder p="sm" component="article" aria-label={`Digest of ${teamName}`} data-testid="team-digest">
      <Group justify="space-between" wrap="wrap">
        <Stack gap={0} style={{ minWidth: 0, flex: "1 1 240px" }}>
          <Text fw={600}>{teamName}</Text>
          <Text size="xs" c="dimmed" style={{ wordBreak: "break-all" }}>
            {WEEKDAYS[digest.weekday - 1]}s at {String(digest.hour).padStart(2, "0")}:00 · {endpoint} · last sent{" "}
            {formatRelative(digest.last_sent_at)}
          </Text>
        </Stack>
        <Group gap="xs">
          <Button size="xs" variant="default" onClick={onPreview}>
            Preview
          </Button>
          <Button
            size="xs"
            variant="light"
            loading={send.isPending}
            onClick={() =>
              send.mutate(
                { params: { path: { digest_id: digest.id } } },
                {
                  onSuccess: () => notifications.show({ color: "teal", message: `${teamName}'s digest is on its way` }),
                  onError: fail("Not sent"),
                },
              )
            }
          >
            Send now
          </Button>
          <Button
            size="xs"
            variant="subtle"
            color="red"
            loading={remove.isPending}
            onClick={() => remove.mutate({ params: { path: { digest_id: digest.id } }, ifMatch: digest }, { onError: fail("Not stopped") })}
          >
            Stop<span className="visually-hidden-label"> {teamName}'s digest</span>
          </Button>
        </Group>
      </Group>
    </Paper>
  );
}

function AddDigestForm({ teams, endpoints }: { teams: Schemas["TeamPublic"][]; endpoints: Endpoint[] }) {
  const create = useCreateDigest();
  const [team, setTeam] = useState<string | null>(null);
  const [endpoint, setEndpoint] = useState<string | null>(null);
  const [weekday, setWeekday] = useState("1");
  const [hour, setHour] = useState("9");
  const [checked, setChecked] = useState(false);
  const local: Record<string, string> = {};
  if (checked && !team) local.team_id = "Choose a team";
  if (checked && !endpoint) local.endpoint_id = "Choose where to send it";
  const errors = { ...fieldErrors(create.error), ...local };
  if (teams.length === 0)
    return (
      <Text size="sm" c="dimmed">
        Create a team under Teams to send it a digest.
      </Text>
    );
  if (endpoints.length === 0)
    return (
      <Text size="sm" c="dimmed">
        Add a Slack or Teams channel above to send digests to.
      </Text>
    );
  const submit = (event: FormEvent) => {
    event.preventDefault();
    setChecked(true);
    if (!team || !endpoint) return;
    create.mutate(
      { body: { team_id: team, endpoint_id: endpoint, weekday: Number(weekday), hour: Number(hour) } },
      {
        onSuccess: () => {
          notifications.show({ color: "teal", message: "Digest scheduled" });
          setTeam(null);
          setChecked(false);
        },
      },
    );
  };
  return (
    <Paper withBorder p="sm">
      <form onSubmit={submit} noValidate aria-label="Schedule a team digest">
        <FormProblem error={create.error} />
        <Group align="flex-end" gap="xs" wrap="wrap">
          <Select
            label="Team"
            required
            data={teams.map((item) => ({ value: item.id, label: item.name }))}
            value={team}
            onChange={setTeam}
            error={errors.team_id}
            style={{ flex: "1 1 160px" }}
          />
          <Select
            label="Send to"
            required
            data={endpoints.map((item) => ({ value: item.id, label: endpointName(item) }))}
            value={endpoint}
            onChange={setEndpoint}
            error={errors.endpoint_id}
            style={{ flex: "2 1 200px" }}
          />
          <Select label="Day" data={DAYS} value={weekday} onChange={(v) => v && setWeekday(v)} allowDeselect={false} error={errors.weekday} style={{ flex: "1 1 120px" }} />
          <Select label="Hour" data={HOURS} value={hour} onChange={(v) => v && setHour(v)} allowDeselect={false} error={errors.hour} style={{ flex: "1 1 90px" }} />
          <Button type="submit" loading={create.isPending}>
            Schedule digest
          </Button>
        </Group>
      </form>
    </Paper>
  );
}

function DigestPreview({ teamId, teamName, onClose }: { teamId: string; teamName: string; onClose: () => void }) {
  const preview = useDigestPreview(teamId);
  return (
    <Modal opened onClose={onClose} title={`${teamName}'s digest as of now`} size="lg">
      {preview.error ? (
        <QueryError error={preview.error} />
      ) : preview.isPending ? (
        <Loading label="Building the digest" />
      ) : (
        <Stack gap="sm" data-testid="digest-preview">
          <Text size="sm" c="dimmed">
            Week of {formatDate(preview.data.week_start)}
          </Text>
          <DigestList title="At risk or off track" items={preview.data.at_risk.map((kr) => `${kr.title} (${kr.owner_name})`)} />
          <DigestList
            title="Status changes, past 7 days"
            items={preview.data.status_changes.map((change) => `${change.title}: ${change.from_status} → ${change.to_status}`)}
          />
          <DigestList
            title="Check-ins due"
            items={preview.data.due_check_ins.map(
              (due) => `${due.title} (${due.owner_name}) ${due.overdue ? "overdue" : `due ${formatDate(due.due_at)}`}`,
            )}
          />
        </Stack>
      )}
    </Modal>
  );
}

function DigestList({ title, items }: { title: string; items: string[] }) {
  return (
    <Stack gap={4}>
      <Text fw={600} size="sm">
        {title}
      </Text>
      {items.length === 0 ? (
        <Alert p={6} color="gray" variant="light">
          Nothing
        </Alert>
      ) : (
        <List size="sm">
          {items.map((item, index) => (
            <List.Item key={index}>{item}</List.Item>
          ))}
        </List>
      )}
    </Stack>
  );
}
