/** Chat destinations: Slack and Teams presets over webhook endpoints (format slack / teams), with a test message. */
import { Alert, Badge, Button, Code, Group, Modal, Paper, Stack, TagsInput, Text, TextInput } from "@mantine/core";
import { notifications } from "@mantine/notifications";
import { type FormEvent, useState } from "react";
import type { Schemas } from "../../../api/client";
import { FormProblem } from "../../../components/FormProblem";
import { Loading, QueryError } from "../../../components/QueryState";
import { eventTypeChoices } from "../../../lib/eventTypes";
import { formatRelative } from "../../../lib/format";
import { CHAT_PRESETS, type ChatFormat, validateChatUrl } from "../../../lib/integrationForm";
import { fieldErrors, problemMessage } from "../../../lib/problem";
import { useCreateEndpoint, useDeleteEndpoint, useEventTypes, usePing, useWebhookEndpoints } from "../../../queries/webhooks";

type Endpoint = Schemas["EndpointPublic"];

export function ChatDestinations() {
  const endpoints = useWebhookEndpoints(true);
  const [adding, setAdding] = useState<ChatFormat | null>(null);
  if (endpoints.error) return <QueryError error={endpoints.error} onRetry={() => void endpoints.refetch()} />;
  if (endpoints.isPending) return <Loading label="Loading chat destinations" />;
  const chats = endpoints.data.items.filter((endpoint) => endpoint.format !== "standard");
  return (
    <Stack gap="sm">
      <Group justify="space-between" wrap="wrap">
        <Text size="sm" c="dimmed" style={{ flex: "1 1 320px" }}>
          Post status changes, overdue check-ins and failing sources to a channel as short messages with a link back here.
        </Text>
        <Group gap="xs">
          <Button variant="default" onClick={() => setAdding("slack")}>
            Add Slack channel
          </Button>
          <Button variant="default" onClick={() => setAdding("teams")}>
            Add Teams channel
          </Button>
        </Group>
      </Group>
      {chats.length === 0 ? (
        <Text size="sm" c="dimmed">
          No chat channel yet.
        </Text>
      ) : (
        chats.map((endpoint) => <ChatCard key={endpoint.id} endpoint={endpoint} />)
      )}
      {adding && <AddChatDialog format={adding} onClose={() => setAdding(null)} />}
    </Stack>
  );
}

function ChatCard({ endpoint }: { endpoint: Endpoint }) {
  const ping = usePing();
  const remove = useDeleteEndpoint();
  const preset = CHAT_PRESETS[endpoint.format as ChatFormat];
  const name = endpoint.description || preset.label;
  return (
    <Paper withBorder p="sm" component="article" aria-label={`Chat channel ${name}`} data-testid="chat-destination">
      <Stack gap={6}>
        <Group justify="space-between" wrap="wrap" align="flex-start">
          <Stack gap={0} style={{ minWidth: 0, flex: "1 1 240px" }}>
            <Text fw={600}>{name}</Text>
            <Text size="xs" c="dimmed">
              {endpoint.event_types?.length ? endpoint.event_types.join(", ") : "every event"} · last message{" "}
              {formatRelative(endpoint.last_success_at)}
            </Text>
          </Stack>
          <Group gap={6}>
            <Badge variant="outline" color="indigo.9">
              {preset.label}
            </Badge>
            {!endpoint.enabled && (
              <Badge variant="outline" color="red.9">
                Disabled
              </Badge>
            )}
          </Group>
        </Group>
        {endpoint.disabled_reason && (
          <Text size="sm" c="red.9">
            Disabled: {endpoint.disabled_reason}
          </Text>
        )}
        {ping.data && (
          <Alert color={ping.data.status === "succeeded" ? "teal" : "red"} p="xs" role="status" data-testid="test-message-result">
            {ping.data.status === "succeeded" ? "Test message delivered" : `Test message not delivered (${ping.data.status})`}
            {ping.data.response_status !== null ? ` · HTTP ${ping.data.response_status}` : ""}
            {ping.data.error ? ` · ${ping.data.error}` : ""}
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
                { onError: (error) => notifications.show({ color: "red", title: "Not sent", message: problemMessage(error) }) },
              )
            }
          >
            Send test message
          </Button>
          <Button
            size="xs"
            variant="subtle"
            color="red"
            loading={remove.isPending}
            onClick={() =>
              remove.mutate(
                { params: { path: { endpoint_id: endpoint.id } }, ifMatch: endpoint },
                { onError: (error) => notifications.show({ color: "red", title: "Not removed", message: problemMessage(error) }) },
              )
            }
          >
            Remove<span className="visually-hidden-label"> {name}</span>
          </Button>
        </Group>
        <Text size="xs" c="dimmed">
          Delivery log, secret and more under <Code>Webhooks</Code>.
        </Text>
      </Stack>
    </Paper>
  );
}

function AddChatDialog({ format, onClose }: { format: ChatFormat; onClose: () => void }) {
  const preset = CHAT_PRESETS[format];
  const create = useCreateEndpoint();
  const catalogue = useEventTypes();
  const [url, setUrl] = useState("");
  const [channel, setChannel] = useState("");
  const [eventTypes, setEventTypes] = useState<string[]>(preset.events);
  const [checked, setChecked] = useState(false);
  const errors = { ...fieldErrors(create.error), ...(checked ? validateChatUrl(url) : {}) };
  const submit = (event: FormEvent) => {
    event.preventDefault();
    setChecked(true);
    if (Object.keys(validateChatUrl(url)).length > 0) return;
    create.mutate(
      {
        body: {
          url: url.trim(),
          format,
          description: channel.trim(),
          event_types: eventTypes.length ? eventTypes : null,
        },
      },
      {
        onSuccess: () => {
          notifications.show({ color: "teal", message: `${preset.label} channel added: send it a test message` });
          onClose();
        },
      },
    );
  };
  return (
    <Modal opened onClose={onClose} title={`Add a ${preset.label} channel`}>
      <form onSubmit={submit} noValidate aria-label={`Add a ${preset.label} channel`}>
        <FormProblem error={create.error} />
        <Stack gap="sm">
          <TextInput
            label="Webhook URL"
            description={preset.hint}
            placeholder={preset.placeholder}
            required
            value={url}
            onChange={(e) => setUrl(e.currentTarget.value)}
            error={errors.url}
            data-autofocus
          />
          <TextInput
            label="Channel"
            placeholder="#marketing-okrs"
            value={channel}
            onChange={(e) => setChannel(e.currentTarget.value)}
            error={errors.description}
          />
          <TagsInput
            label="Events"
            description="Leave empty for every event"
            value={eventTypes}
            onChange={setEventTypes}
            data={eventTypeChoices(catalogue.data?.items.map((item) => item.type) ?? [])}
            error={errors.event_types}
          />
          <Group justify="flex-end">
            <Button variant="default" onClick={onClose}>
              Cancel
            </Button>
            <Button type="submit" loading={create.isPending}>
              Add channel
            </Button>
          </Group>
        </Stack>
      </form>
    </Modal>
  );
}
