/**
 * Settings → Notifications (every member; the emails' footer links here): one row per kind the API knows, with the
 * channel it reaches you by. Saving sends only the kinds that changed.
 */
import { Button, Group, Paper, Select, Stack, Table, Text, Title } from "@mantine/core";
import { notifications } from "@mantine/notifications";
import { type FormEvent, useState } from "react";
import { FormProblem } from "../../components/FormProblem";
import { Loading, QueryError } from "../../components/QueryState";
import { type Channel, CHANNELS, changedPreferences, isChannel, preferenceRows } from "../../lib/notifications";
import { useNotificationPreferences, useUpdateNotificationPreferences } from "../../queries/notifications";

export function NotificationSettings() {
  const preferences = useNotificationPreferences();
  if (preferences.error) return <QueryError error={preferences.error} onRetry={() => void preferences.refetch()} />;
  if (preferences.isPending) return <Loading label="Loading your notification settings" />;
  return <PreferencesForm saved={preferences.data} />;
}

function PreferencesForm({ saved }: { saved: Record<string, unknown> }) {
  const rows = preferenceRows(saved);
  // The draft holds only what was changed here; every other kind shows what the server has.
  const [draft, setDraft] = useState<Record<string, Channel>>({});
  const update = useUpdateNotificationPreferences();
  const changes = changedPreferences(saved, draft);
  const dirty = Object.keys(changes).length > 0;
  const submit = (event: FormEvent) => {
    event.preventDefault();
    if (!dirty) return;
    update.save(changes, {
      onSuccess: () => {
        setDraft({});
        notifications.show({ color: "teal", message: "Notification settings saved" });
      },
    });
  };
  return (
    <Paper withBorder p="md">
      <form onSubmit={submit} noValidate aria-labelledby="notification-settings-title">
        <Stack>
          <Title order={2} size="h4" id="notification-settings-title">
            Notifications
          </Title>
          <Text size="sm" c="dimmed">
            How each kind of notification reaches you. Everything but “Off” shows in the bell’s inbox; email sends a
            message at once, the daily digest one message a day.
          </Text>
          <FormProblem error={update.error} title="Not saved" />
          <Table.ScrollContainer minWidth={320}>
            <Table verticalSpacing="xs">
              <Table.Thead>
                <Table.Tr>
                  <Table.Th scope="col">Notify me when</Table.Th>
                  <Table.Th scope="col">Channel</Table.Th>
                </Table.Tr>
              </Table.Thead>
              <Table.Tbody>
                {rows.map((row) => (
                  <Table.Tr key={row.kind} data-kind={row.kind}>
                    <Table.Td>{row.label}</Table.Td>
                    <Table.Td miw={200}>
                      <Select
                        aria-label={`Channel for: ${row.label}`}
                        data={CHANNELS.map((channel) => ({ value: channel.value, label: channel.label }))}
                        value={draft[row.kind] ?? row.channel}
                        onChange={(value) => {
                          if (isChannel(value)) setDraft((current) => ({ ...current, [row.kind]: value }));
                        }}
                        allowDeselect={false}
                        comboboxProps={{ withinPortal: true }}
                      />
                    </Table.Td>
                  </Table.Tr>
                ))}
              </Table.Tbody>
            </Table>
          </Table.ScrollContainer>
          <Group>
            <Button type="submit" disabled={!dirty} loading={update.isPending}>
              Save
            </Button>
            {dirty && (
              <Button variant="default" onClick={() => setDraft({})}>
                Undo changes
              </Button>
            )}
          </Group>
        </Stack>
      </form>
    </Paper>
  );
}
