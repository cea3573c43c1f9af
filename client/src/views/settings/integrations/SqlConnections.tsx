/** SQL connections: registered PostgreSQL databases for SQL sources (the connection string is stored encrypted and
 * never shown again), a connection check, deletion when no source uses one. */
import { Alert, Badge, Button, Checkbox, Group, Modal, Paper, PasswordInput, Stack, Text, TextInput } from "@mantine/core";
import { useDisclosure } from "@mantine/hooks";
import { notifications } from "@mantine/notifications";
import { type FormEvent, useState } from "react";
import type { Schemas } from "../../../api/client";
import { FormProblem } from "../../../components/FormProblem";
import { Loading, QueryError } from "../../../components/QueryState";
import { type ConnectionDraft, validateConnection } from "../../../lib/integrationForm";
import { fieldErrors, problemMessage } from "../../../lib/problem";
import { useCheckConnection, useCreateConnection, useDeleteConnection, useSqlConnections } from "../../../queries/integrations";

export function SqlConnections() {
  const connections = useSqlConnections(true);
  if (connections.error) return <QueryError error={connections.error} onRetry={() => void connections.refetch()} />;
  if (connections.isPending) return <Loading label="Loading SQL connections" />;
  return (
    <Stack gap="sm">
      <Group justify="space-between" wrap="wrap">
        <Text size="sm" c="dimmed" style={{ flex: "1 1 320px" }}>
          Databases SQL sources read from. Give Sightline a read-only role: every query also runs read-only, with a time
          limit.
        </Text>
        <AddConnectionButton />
      </Group>
      {connections.data.items.length === 0 ? (
        <Text size="sm" c="dimmed">
          No SQL connection yet.
        </Text>
      ) : (
        connections.data.items.map((connection) => <ConnectionRow key={connection.id} connection={connection} />)
      )}
    </Stack>
  );
}

function ConnectionRow({ connection }: { connection: Schemas["SqlConnectionPublic"] }) {
  const check = useCheckConnection();
  const remove = useDeleteConnection();
  return (
    <Paper withBorder p="sm" component="article" aria-label={`SQL connection ${connection.name}`} data-testid="sql-connection">
      <Stack gap={6}>
        <Group justify="space-between" wrap="wrap">
          <Stack gap={0} style={{ minWidth: 0, flex: "1 1 240px" }}>
            <Text fw={600}>{connection.name}</Text>
            <Text size="xs" c="dimmed" style={{ wordBreak: "break-all" }}>
              {connection.username}@{connection.host}
              {connection.port ? `:${connection.port}` : ""}/{connection.database} · TLS {connection.sslmode ?? "unknown"}
            </Text>
          </Stack>
          <Group gap="xs">
            <Button
              size="xs"
              variant="light"
              loading={check.isPending}
              onClick={() => check.mutate({ params: { path: { connection_id: connection.id } } })}
            >
              Check connection
            </Button>
            <Button
              size="xs"
              variant="subtle"
              color="red"
              loading={remove.isPending}
              onClick={() =>
                remove.mutate(
                  { params: { path: { connection_id: connection.id } }, ifMatch: connection },
                  { onError: (error) => notifications.show({ color: "red", title: "Not deleted", message: problemMessage(error) }) },
                )
              }
            >
              Delete<span className="visually-hidden-label"> {connection.name}</span>
            </Button>
          </Group>
        </Group>
        {connection.tls_warning && (
          <Badge variant="outline" color="orange.9" style={{ whiteSpace: "normal", height: "auto" }}>
            {connection.tls_warning}
          </Badge>
        )}
        {check.data && (
          <Alert color={check.data.ok ? "teal" : "red"} p="xs" role="status">
            {check.data.ok ? "Connected and ran SELECT 1." : `Could not connect: ${check.data.error}`}
          </Alert>
        )}
        {check.error ? <FormProblem error={check.error} title="Not checked" /> : null}
      </Stack>
    </Paper>
  );
}

const EMPTY: ConnectionDraft = { name: "", description: "", dsn: "", allow_weak_tls: false };

function AddConnectionButton() {
  const [opened, { open, close }] = useDisclosure(false);
  const create = useCreateConnection();
  const [draft, setDraft] = useState(EMPTY);
  const [checked, setChecked] = useState(false);
  const errors = { ...fieldErrors(create.error), ...(checked ? validateConnection(draft) : {}) };
  const done = () => {
    close();
    setDraft(EMPTY);
    setChecked(false);
    create.reset();
  };
  const submit = (event: FormEvent) => {
    event.preventDefault();
    setChecked(true);
    if (Object.keys(validateConnection(draft)).length > 0) return;
    create.mutate(
      { body: { ...draft, name: draft.name.trim(), description: draft.description.trim() } },
      {
        onSuccess: (created) => {
          notifications.show({ color: "teal", message: `${created.name} added` });
          done();
        },
      },
    );
  };
  return (
    <>
      <Button variant="default" onClick={open}>
        Add SQL connection
      </Button>
      <Modal opened={opened} onClose={done} title="Add a SQL connection">
        <form onSubmit={submit} noValidate aria-label="Add a SQL connection">
          <FormProblem error={create.error} />
          <Stack gap="sm">
            <TextInput label="Name" required value={draft.name} onChange={(e) => setDraft({ ...draft, name: e.currentTarget.value })} error={errors.name} data-autofocus />
            <TextInput label="Description" value={draft.description} onChange={(e) => setDraft({ ...draft, description: e.currentTarget.value })} error={errors.description} />
            <PasswordInput
              label="Connection string"
              description="postgresql://user:password@host:5432/database — stored encrypted, never shown again"
              required
              autoComplete="off"
              value={draft.dsn}
              onChange={(e) => setDraft({ ...draft, dsn: e.currentTarget.value })}
              error={errors.dsn}
            />
            <Checkbox
              label="Accept a weaker TLS mode than verify-full (sslmode in the string)"
              checked={draft.allow_weak_tls}
              onChange={(e) => setDraft({ ...draft, allow_weak_tls: e.currentTarget.checked })}
            />
            <Group justify="flex-end">
              <Button variant="default" onClick={done}>
                Cancel
              </Button>
              <Button type="submit" loading={create.isPending}>
                Add connection
              </Button>
            </Group>
          </Stack>
        </form>
      </Modal>
    </>
  );
}
