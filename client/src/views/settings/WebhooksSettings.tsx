/** Webhook endpoints: add (signing secret shown once), enable/disable, test ping, rotate, delete; delivery log and
 * redelivery of what failed. */
import {
  Alert,
  Badge,
  Button,
  Code,
  CopyButton,
  Group,
  Modal,
  Paper,
  Stack,
  Table,
  TagsInput,
  Text,
  TextInput,
} from "@mantine/core";
import { useDisclosure } from "@mantine/hooks";
import { notifications } from "@mantine/notifications";
import { type FormEvent, useState } from "react";
import type { Schemas } from "../../api/client";
import { FormProblem } from "../../components/FormProblem";
import { EmptyState, Loading, QueryError } from "../../components/QueryState";
import { eventTypeChoices } from "../../lib/eventTypes";
import { formatDateTime, formatRelative } from "../../lib/format";
import { isAdmin } from "../../lib/permissions";
import { fieldErrors, problemMessage } from "../../lib/problem";
import { useMe } from "../../queries/auth";
import {
  useCreateEndpoint,
  useDeleteEndpoint,
  useDeliveries,
  useEventTypes,
  usePing,
  useRecover,
  useRotateSecret,
  useUpdateEndpoint,
  useWebhookEndpoints,
} from "../../queries/webhooks";

type Endpoint = Schemas["EndpointPublic"];

export function WebhooksSettings() {
  const me = useMe();
  const admin = isAdmin(me.data);
  const endpoints = useWebhookEndpoints(admin);
  const [logOf, setLogOf] = useState<Endpoint | null>(null);
  if (!admin) return <EmptyState title="Webhooks are for admins">Ask an owner or admin to set up webhook endpoints.</EmptyState>;
  if (endpoints.error) return <QueryError error={endpoints.error} onRetry={() => void endpoints.refetch()} />;
  if (endpoints.isPending) return <Loading label="Loading webhook endpoints" />;
  const items = endpoints.data.items;
  return (
    <Stack>
      <Group justify="space-between">
        <Text size="sm" c="dimmed">
          Sightline signs every event with the Standard Webhooks scheme and retries for about a day.
        </Text>
        <AddEndpointButton />
      </Group>
      {items.length === 0 ? (
        <EmptyState title="No webhook endpoints yet">Add a URL to receive check-ins, status changes and more as they happen.</EmptyState>
      ) : (
        <Stack gap="sm">
          {items.map((endpoint) => (
            <EndpointCard key={endpoint.id} endpoint={endpoint} onShowLog={() => setLogOf(endpoint)} />
          ))}
        </Stack>
      )}
      {logOf && <DeliveryLog endpoint={logOf} onClose={() => setLogOf(null)} />}
    </Stack>
  );
}

function EndpointCard({ endpoint, onShowLog }: { endpoint: Endpoint; onShowLog: () => void }) {
  const update = useUpdateEndpoint();
  const remove = useDeleteEndpoint();
  const ping = usePing();
  const rotate = useRotateSecret();
  const [secret, setSecret] = useState<string | null>(null);
  const fail = (title: string) => (error: unknown) => notifications.show({ color: "red", title, message: problemMessage(error) });
  return (
    <Paper withBorder p="md" data-testid="webhook-endpoint" component="article" aria-label={`Webhook endpoint ${endpoint.url}`}>
      <Stack gap="xs">
        <Group justify="space-between" wrap="wrap">
          <Stack gap={2} style={{ minWidth: 0, flex: "1 1 300px" }}>
            <Code style={{ wordBreak: "break-all" }}>{endpoint.url}</Code>
            <Text size="xs" c="dimmed">
              {endpoint.description || "No description"} · {endpoint.event_types?.length ? endpoint.event_types.join(", ") : "all events"}
            </Text>
          </Stack>
          <Badge variant="outline" color={endpoint.enabled ? "teal.9" : "red.9"}>
            {endpoint.enabled ? "Enabled" : "Disabled"}
          </Badge>
        </Group>
        {endpoint.disabled_reason && (
          <Text size="sm" c="red.9">
            Disabled: {endpoint.disabled_reason}
          </Text>
        )}
        <Text size="xs" c="dimmed">
          Last success {formatRelative(endpoint.last_success_at)} · last failure {formatRelative(endpoint.last_failure_at)}
        </Text>
        {ping.data && (
          <Alert color={ping.data.status === "succeeded" ? "teal" : "red"} title="Test ping" data-testid="ping-result">
            {ping.data.status === "succeeded" ? "Delivered" : `Not delivered (${ping.data.status})`}
            {ping.data.response_status !== null ? ` · HTTP ${ping.data.response_status}` : ""}
            {ping.data.latency_ms !== null ? ` · ${ping.data.latency_ms} ms` : ""}
            {ping.data.error ? ` · ${ping.data.error}` : ""}
          </Alert>
        )}
        {secret && (
          <Alert color="yellow" title="New signing secret: copy it now" role="status">
            <Group gap="xs">
              <Code style={{ wordBreak: "break-all" }}>{secret}</Code>
              <CopyButton value={secret}>
                {({ copied, copy }) => (
                  <Button size="compact-xs" variant="light" onClick={copy}>
                    {copied ? "Copied" : "Copy"}
                  </Button>
                )}
              </CopyButton>
            </Group>
            <Text size="xs" mt={4}>
              The previous secret keeps signing alongside it for 24 hours.
            </Text>
          </Alert>
        )}
        <Group gap="xs">
          <Button
            size="xs"
            variant="light"
            loading={ping.isPending}
            onClick={() =>
              ping.mutate(
                { params: { path: { endpoint_id: endpoint.id } } },
                { onError: fail("Ping not sent") },
              )
            }
          >
            Send test ping
          </Button>
          <Button size="xs" variant="default" onClick={onShowLog}>
            Delivery log
          </Button>
          <Button
            size="xs"
            variant="default"
            loading={update.isPending}
            onClick={() =>
              update.mutate(
                {
                  params: { path: { endpoint_id: endpoint.id } }, ifMatch: endpoint,
                  body: { enabled: !endpoint.enabled },
                },
                { onError: fail("Not changed") },
              )
            }
          >
            {endpoint.enabled ? "Disable" : "Enable"}
          </Button>
          <Button
            size="xs"
            variant="default"
            loading={rotate.isPending}
            onClick={() =>
              rotate.mutate(
                { params: { path: { endpoint_id: endpoint.id } } },
                { onSuccess: (result) => setSecret(result.secret), onError: fail("Secret not rotated") },
              )
            }
          >
            Rotate secret
          </Button>
          <Button
            size="xs"
            variant="subtle"
            color="red"
            loading={remove.isPending}
            onClick={() =>
              remove.mutate(
                { params: { path: { endpoint_id: endpoint.id } }, ifMatch: endpoint },
                { onError: fail("Not deleted") },
              )
            }
          >
            Delete<span className="visually-hidden-label"> {endpoint.url}</span>
          </Button>
        </Group>
      </Stack>
    </Paper>
  );
}

function AddEndpointButton() {
  const [opened, { open, close }] = useDisclosure(false);
  const create = useCreateEndpoint();
  const catalogue = useEventTypes();
  const [url, setUrl] = useState("");
  const [description, setDescription] = useState("");
  const [eventTypes, setEventTypes] = useState<string[]>([]);
  // The signing secret lives only in this dialog: shown once, never cached.
  const [created, setCreated] = useState<Schemas["EndpointCreated"] | null>(null);
  const errors = fieldErrors(create.error);
  const done = () => {
    close();
    setCreated(null);
    setUrl("");
    setDescription("");
    setEventTypes([]);
    create.reset();
  };
  const submit = (event: FormEvent) => {
    event.preventDefault();
    create.mutate(
      {
        body: { url: url.trim(), description: description.trim(), event_types: eventTypes.length ? eventTypes : null },
      },
      { onSuccess: setCreated },
    );
  };
  return (
    <>
      <Button onClick={open}>Add endpoint</Button>
      <Modal opened={opened} onClose={done} title={created ? "Endpoint added" : "Add a webhook endpoint"} closeOnClickOutside={!created}>
        {created ? (
          <Stack>
            <Alert color="yellow" title="Signing secret: copy it now" role="status">
              Use it to verify each delivery's signature. You can reveal it again here as an admin, or rotate it.
            </Alert>
            <Code block data-testid="webhook-secret" style={{ wordBreak: "break-all", whiteSpace: "pre-wrap" }}>
              {created.secret}
            </Code>
            <Group justify="space-between">
              <CopyButton value={created.secret}>
                {({ copied, copy }) => (
                  <Button variant="light" onClick={copy}>
                    {copied ? "Copied" : "Copy secret"}
                  </Button>
                )}
              </CopyButton>
              <Button onClick={done}>Done</Button>
            </Group>
          </Stack>
        ) : (
          <form onSubmit={submit} noValidate aria-label="Add a webhook endpoint">
            <FormProblem error={create.error} />
            <Stack>
              <TextInput label="URL" placeholder="https://hooks.example.com/sightline" required value={url} onChange={(e) => setUrl(e.currentTarget.value)} error={errors.url} data-autofocus />
              <TextInput label="Description" value={description} onChange={(e) => setDescription(e.currentTarget.value)} error={errors.description} />
              <TagsInput
                label="Event types"
                description="Leave empty for every event; patterns such as key_result.* work"
                value={eventTypes}
                onChange={setEventTypes}
                data={eventTypeChoices(catalogue.data?.items.map((item) => item.type) ?? [])}
                error={errors.event_types}
              />
              <Group justify="flex-end">
                <Button variant="default" onClick={done}>
                  Cancel
                </Button>
                <Button type="submit" loading={create.isPending}>
                  Add endpoint
                </Button>
              </Group>
            </Stack>
          </form>
        )}
      </Modal>
    </>
  );
}

function DeliveryLog({ endpoint, onClose }: { endpoint: Endpoint; onClose: () => void }) {
  const deliveries = useDeliveries(endpoint.id);
  const recover = useRecover();
  const [since, setSince] = useState("");
  return (
    <Modal opened onClose={onClose} title="Delivery log" size="xl">
      <Stack>
        <Code style={{ wordBreak: "break-all" }}>{endpoint.url}</Code>
        <form
          aria-label="Redeliver failures"
          onSubmit={(event) => {
            event.preventDefault();
            if (!since) return;
            recover.mutate(
              {
                params: { path: { endpoint_id: endpoint.id } },
                body: { since: new Date(since).toISOString() },
              },
              { onSuccess: (result) => notifications.show({ color: "teal", message: `${result.redelivered} deliveries queued again` }) },
            );
          }}
        >
          <Group align="flex-end" gap="xs">
            <TextInput label="Redeliver what failed since" type="datetime-local" value={since} onChange={(e) => setSince(e.currentTarget.value)} />
            <Button type="submit" variant="light" loading={recover.isPending} disabled={!since}>
              Redeliver
            </Button>
          </Group>
          <FormProblem error={recover.error} />
        </form>
        {deliveries.error ? (
          <QueryError error={deliveries.error} onRetry={() => void deliveries.refetch()} />
        ) : deliveries.isPending ? (
          <Loading label="Loading deliveries" />
        ) : deliveries.data.items.length === 0 ? (
          <Text size="sm" c="dimmed">
            Nothing delivered yet.
          </Text>
        ) : (
          <Table.ScrollContainer minWidth={640}>
            <Table aria-label="Deliveries" data-testid="deliveries" verticalSpacing={4}>
              <Table.Thead>
                <Table.Tr>
                  <Table.Th>Event</Table.Th>
                  <Table.Th>Status</Table.Th>
                  <Table.Th>Attempts</Table.Th>
                  <Table.Th>Response</Table.Th>
                  <Table.Th>Last attempt</Table.Th>
                </Table.Tr>
              </Table.Thead>
              <Table.Tbody>
                {deliveries.data.items.map((delivery) => (
                  <Table.Tr key={delivery.id}>
                    <Table.Td>
                      <Code>{delivery.event_type}</Code>
                    </Table.Td>
                    <Table.Td>{delivery.status}</Table.Td>
                    <Table.Td className="num">{delivery.attempts}</Table.Td>
                    <Table.Td>
                      {delivery.response_status ?? "—"}
                      {delivery.latency_ms !== null ? ` · ${delivery.latency_ms} ms` : ""}
                      {(delivery.error || delivery.response_excerpt) && (
                        <Text size="xs" c="dimmed" lineClamp={2}>
                          {delivery.error ?? delivery.response_excerpt}
                        </Text>
                      )}
                    </Table.Td>
                    <Table.Td>{formatDateTime(delivery.last_attempt_at)}</Table.Td>
                  </Table.Tr>
                ))}
              </Table.Tbody>
            </Table>
          </Table.ScrollContainer>
        )}
      </Stack>
    </Modal>
  );
}
