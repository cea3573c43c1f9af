/**
 * API keys for integrations: the secret is shown once, right after creation, with a copy button; the list says who
 * made each key (it works only while they are an active member), when it was last used and when it expires. Creating a
 * key may ask for a recent sign-in first (the re-auth dialog, then the key is created).
 */
import { Alert, Badge, Button, Checkbox, Code, CopyButton, Group, Modal, Paper, Stack, Table, Text, TextInput } from "@mantine/core";
import { useDisclosure } from "@mantine/hooks";
import { notifications } from "@mantine/notifications";
import { type FormEvent, useState } from "react";
import type { Schemas } from "../../api/client";
import { FormProblem } from "../../components/FormProblem";
import { EmptyState, Loading, QueryError } from "../../components/QueryState";
import { formatDate, formatDateTime, formatRelative } from "../../lib/format";
import { isAdmin } from "../../lib/permissions";
import { fieldErrors, problemMessage } from "../../lib/problem";
import { useMe } from "../../queries/auth";
import { useApiKeys, useCreateApiKey, useRevokeApiKey } from "../../queries/organisation";

export function ApiKeysSettings() {
  const me = useMe();
  const admin = isAdmin(me.data);
  const keys = useApiKeys();
  const revoke = useRevokeApiKey();
  if (!admin) {
    return <EmptyState title="API keys are for admins">Ask an owner or admin of your organisation for a key.</EmptyState>;
  }
  if (keys.error) return <QueryError error={keys.error} onRetry={() => void keys.refetch()} />;
  if (keys.isPending) return <Loading label="Loading API keys" />;
  const items = keys.data.items;
  return (
    <Stack>
      <Group justify="space-between">
        <Text size="sm" c="dimmed">
          Tools such as a CRM or a spreadsheet use a key as <Code>Authorization: Bearer sl_…</Code>.
        </Text>
        <CreateApiKeyButton />
      </Group>
      {items.length === 0 ? (
        <EmptyState title="No API keys yet">Create a key for each tool that pushes values or reads your OKRs.</EmptyState>
      ) : (
        <Paper withBorder>
          <Table.ScrollContainer minWidth={760}>
            <Table verticalSpacing="xs" aria-label="API keys" data-testid="api-keys">
              <Table.Thead>
                <Table.Tr>
                  <Table.Th>Name</Table.Th>
                  <Table.Th>Key</Table.Th>
                  <Table.Th>Scopes</Table.Th>
                  <Table.Th>Created by</Table.Th>
                  <Table.Th>Created</Table.Th>
                  <Table.Th>Last used</Table.Th>
                  <Table.Th>Expires</Table.Th>
                  <Table.Th>Actions</Table.Th>
                </Table.Tr>
              </Table.Thead>
              <Table.Tbody>
                {items.map((key) => (
                  <Table.Tr key={key.id}>
                    <Table.Td>{key.name}</Table.Td>
                    <Table.Td>
                      <Code>{key.prefix}…</Code>
                    </Table.Td>
                    <Table.Td>
                      <Group gap={4}>
                        {key.scopes.map((scope) => (
                          <Badge key={scope} size="xs" variant="outline" color="gray.8">
                            {scope}
                          </Badge>
                        ))}
                      </Group>
                    </Table.Td>
                    <Table.Td data-testid="api-key-creator">{key.created_by?.name ?? "unknown"}</Table.Td>
                    <Table.Td>{formatDate(key.created_at)}</Table.Td>
                    <Table.Td>
                      {key.last_used_at ? (
                        <time dateTime={key.last_used_at} title={formatDateTime(key.last_used_at)}>
                          {formatRelative(key.last_used_at)}
                        </time>
                      ) : (
                        "never"
                      )}
                    </Table.Td>
                    <Table.Td data-testid="api-key-expiry">
                      <Expiry at={key.expires_at} />
                    </Table.Td>
                    <Table.Td>
                      {key.revoked_at ? (
                        <Badge size="xs" color="red.8" variant="outline">
                          Revoked
                        </Badge>
                      ) : (
                        <Button
                          size="compact-xs"
                          variant="subtle"
                          color="red"
                          onClick={() =>
                            revoke.mutate(
                              { params: { path: { key_id: key.id } } },
                              {
                                onSuccess: () => notifications.show({ message: `Key ${key.name} revoked` }),
                                onError: (error) => notifications.show({ color: "red", message: problemMessage(error) }),
                              },
                            )
                          }
                        >
                          Revoke<span className="visually-hidden-label"> {key.name}</span>
                        </Button>
                      )}
                    </Table.Td>
                  </Table.Tr>
                ))}
              </Table.Tbody>
            </Table>
          </Table.ScrollContainer>
        </Paper>
      )}
    </Stack>
  );
}

function Expiry({ at }: { at: string | null | undefined }) {
  // "Now" is when the list was shown; the list is read again after every change.
  const [now] = useState(() => Date.now());
  if (!at) return <>no expiry</>;
  const past = new Date(at).getTime() <= now;
  return (
    <time dateTime={at} title={formatDateTime(at)}>
      {past ? (
        <Badge size="xs" color="red.8" variant="outline">
          Expired
        </Badge>
      ) : (
        formatDate(at)
      )}
    </time>
  );
}

/** A date picked in the form (local calendar day) as the end of that day, in UTC for the API. */
export function expiryOf(day: string): string | null {
  if (!day) return null;
  const end = new Date(`${day}T23:59:59`);
  return Number.isNaN(end.getTime()) ? null : end.toISOString();
}

function isoDay(date: Date): string {
  const pad = (n: number) => String(n).padStart(2, "0");
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}`;
}

const SCOPES = [
  { value: "read", label: "Read", description: "Read objectives, key results, check-ins" },
  { value: "write", label: "Write", description: "Check in and edit OKRs" },
  { value: "admin", label: "Admin", description: "Manage members, keys and settings" },
] as const;

function CreateApiKeyButton() {
  const [opened, { open, close }] = useDisclosure(false);
  const [name, setName] = useState("");
  const [scopes, setScopes] = useState<string[]>(["read", "write"]);
  const [expires, setExpires] = useState("");
  // The date picker's bounds count from when the button was shown (tomorrow to two years on).
  const [now] = useState(() => Date.now());
  // The secret lives only in this dialog's state: it is never cached, stored or shown again.
  const [created, setCreated] = useState<Schemas["ApiKeyCreated"] | null>(null);
  const create = useCreateApiKey();
  const errors = fieldErrors(create.error);
  const done = () => {
    close();
    setCreated(null);
    setName("");
    setExpires("");
    create.reset();
  };
  const submit = (event: FormEvent) => {
    event.preventDefault();
    create.mutate(
      {
        body: { name: name.trim(), scopes: scopes as Schemas["ApiKeyCreate"]["scopes"], expires_at: expiryOf(expires) },
      },
      { onSuccess: setCreated },
    );
  };
  return (
    <>
      <Button onClick={open}>Create API key</Button>
      <Modal opened={opened} onClose={done} title={created ? "Your new API key" : "Create an API key"} closeOnClickOutside={!created}>
        {created ? (
          <Stack>
            <Alert color="yellow" title="Copy it now: it is shown only once" role="status">
              Sightline keeps only a hash of the key. If you lose it, revoke it and create another.
            </Alert>
            <Code block data-testid="api-key-secret" style={{ wordBreak: "break-all", whiteSpace: "pre-wrap" }}>
              {created.secret}
            </Code>
            <Group justify="space-between">
              <CopyButton value={created.secret}>
                {({ copied, copy }) => (
                  <Button variant="light" color={copied ? "teal" : undefined} onClick={copy}>
                    {copied ? "Copied" : "Copy key"}
                  </Button>
                )}
              </CopyButton>
              <Button onClick={done}>I have stored it</Button>
            </Group>
          </Stack>
        ) : (
          <form onSubmit={submit} noValidate aria-label="Create an API key">
            <FormProblem error={create.error} />
            <Stack>
              <TextInput label="Name" placeholder="HubSpot sync" required value={name} onChange={(e) => setName(e.currentTarget.value)} error={errors.name} data-autofocus />
              <Checkbox.Group label="Scopes" value={scopes} onChange={setScopes} error={errors.scopes} required>
                <Stack gap="xs" mt="xs">
                  {SCOPES.map((scope) => (
                    <Checkbox key={scope.value} value={scope.value} label={scope.label} description={scope.description} />
                  ))}
                </Stack>
              </Checkbox.Group>
              <TextInput
                type="date"
                label="Expires on"
                description="Optional; the key stops working at the end of that day. Leave empty for a key that lasts until revoked."
                value={expires}
                min={isoDay(new Date(now + 86_400_000))}
                max={isoDay(new Date(now + 2 * 365 * 86_400_000))}
                onChange={(e) => setExpires(e.currentTarget.value)}
                error={errors.expires_at}
              />
              <Group justify="flex-end">
                <Button variant="default" onClick={done}>
                  Cancel
                </Button>
                <Button type="submit" loading={create.isPending}>
                  Create key
                </Button>
              </Group>
            </Stack>
          </form>
        )}
      </Modal>
    </>
  );
}
