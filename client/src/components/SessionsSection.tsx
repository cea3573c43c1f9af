/** Where the person is signed in: each session with its device, address and times; end one, or all but this one. */
import { Badge, Button, Group, Paper, Stack, Table, Text, Title } from "@mantine/core";
import { notifications } from "@mantine/notifications";
import { formatDateTime, formatRelative } from "../lib/format";
import { problemMessage } from "../lib/problem";
import { describeUserAgent } from "../lib/userAgent";
import { useEndOtherSessions, useEndSession, useSessions } from "../queries/security";
import { Loading, QueryError } from "./QueryState";

function When({ at }: { at: string | null | undefined }) {
  if (!at) return <>—</>;
  return (
    <time dateTime={at} title={formatDateTime(at)}>
      {formatRelative(at)}
    </time>
  );
}

export function SessionsSection() {
  const sessions = useSessions();
  const end = useEndSession();
  const endOthers = useEndOtherSessions();
  const items = sessions.data ?? [];
  const others = items.filter((session) => !session.current).length;
  return (
    <Paper withBorder p="md">
      <Stack component="section" aria-labelledby="sessions-title">
        <Group justify="space-between">
          <Title order={2} size="h4" id="sessions-title">
            Where you are signed in
          </Title>
          {others > 0 && (
            <Button
              variant="outline"
              color="red.9"
              size="xs"
              loading={endOthers.isPending}
              onClick={() =>
                endOthers.mutate(
                  {},
                  {
                    onSuccess: () => notifications.show({ message: "Every other session was signed out" }),
                    onError: (error) => notifications.show({ color: "red", message: problemMessage(error) }),
                  },
                )
              }
            >
              Sign out everywhere else
            </Button>
          )}
        </Group>
        {sessions.error ? (
          <QueryError error={sessions.error} onRetry={() => void sessions.refetch()} />
        ) : sessions.isPending ? (
          <Loading label="Loading your sessions" />
        ) : (
          <Table.ScrollContainer minWidth={560}>
            <Table verticalSpacing="xs" aria-label="Your sessions" data-testid="sessions">
              <Table.Thead>
                <Table.Tr>
                  <Table.Th>Device</Table.Th>
                  <Table.Th>Address</Table.Th>
                  <Table.Th>Signed in</Table.Th>
                  <Table.Th>Last active</Table.Th>
                  <Table.Th>
                    <span className="visually-hidden-label">Actions</span>
                  </Table.Th>
                </Table.Tr>
              </Table.Thead>
              <Table.Tbody>
                {items.map((session) => {
                  const device = describeUserAgent(session.user_agent);
                  return (
                    <Table.Tr key={session.id} data-current={session.current || undefined}>
                      <Table.Td>
                        <span title={session.user_agent ?? undefined}>{device}</span>
                        {session.current && (
                          <Badge ml={6} size="xs" variant="outline" color="teal.9">
                            this browser
                          </Badge>
                        )}
                      </Table.Td>
                      <Table.Td>{session.address ?? "—"}</Table.Td>
                      <Table.Td>
                        <When at={session.created_at} />
                      </Table.Td>
                      <Table.Td>
                        <When at={session.last_seen_at} />
                      </Table.Td>
                      <Table.Td>
                        {!session.current && (
                          <Button
                            size="compact-xs"
                            variant="subtle"
                            color="red.9"
                            aria-label={`Sign out ${device}, signed in ${formatDateTime(session.created_at)}`}
                            onClick={() =>
                              end.mutate(
                                { params: { path: { session_id: session.id } } },
                                {
                                  onSuccess: () => notifications.show({ message: `Signed out ${device}` }),
                                  onError: (error) => notifications.show({ color: "red", message: problemMessage(error) }),
                                },
                              )
                            }
                          >
                            Sign out
                          </Button>
                        )}
                      </Table.Td>
                    </Table.Tr>
                  );
                })}
              </Table.Tbody>
            </Table>
          </Table.ScrollContainer>
        )}
        <Text size="xs" c="dimmed">
          A session that is not used for a while, or is too old, signs out by itself.
        </Text>
      </Stack>
    </Paper>
  );
}
