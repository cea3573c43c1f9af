/**
 * Settings → Mail log (admins): every message the service queued for the organisation, newest first — to whom, the
 * subject, how delivery went, attempts and times. A row opens the message; a logged one (no mail server configured)
 * shows its text, so an admin can pass its link on by hand.
 */
import { Anchor, Badge, Button, Code, Group, Modal, Select, Stack, Table, Text } from "@mantine/core";
import { useState } from "react";
import type { Schemas } from "../../api/client";
import { EmptyState, Loading, QueryError } from "../../components/QueryState";
import { formatDateTime } from "../../lib/format";
import { MAIL_STATUSES, type MailStatus, mailBody, mailStatus } from "../../lib/mailLog";
import { isAdmin } from "../../lib/permissions";
import { useMe } from "../../queries/auth";
import { useMailLog } from "../../queries/notifications";

type Message = Schemas["MailMessagePublic"];

export function MailSettings() {
  const me = useMe();
  const admin = isAdmin(me.data);
  const [status, setStatus] = useState<MailStatus | null>(null);
  const log = useMailLog(admin, status);
  const [open, setOpen] = useState<Message | null>(null);
  if (!admin) return <EmptyState title="The mail log is for admins">Ask an owner or admin what was sent.</EmptyState>;
  return (
    <Stack>
      <Group justify="space-between" align="flex-end">
        <Text size="sm" c="dimmed" maw={560}>
          Every email Sightline queued for this organisation. Without a mail server (SMTP settings) messages are
          logged here instead of sent.
        </Text>
        <Select
          label="Status"
          data={[{ value: "", label: "All" }, ...MAIL_STATUSES.map((item) => ({ value: item.value, label: item.label }))]}
          value={status ?? ""}
          onChange={(value) => setStatus(MAIL_STATUSES.find((item) => item.value === value)?.value ?? null)}
          allowDeselect={false}
          w={160}
        />
      </Group>
      {log.error ? (
        <QueryError error={log.error} onRetry={() => void log.refetch()} />
      ) : log.isPending ? (
        <Loading label="Loading the mail log" />
      ) : (
        <MessageTable messages={log.data.pages.flatMap((page) => page.items)} onOpen={setOpen} />
      )}
      {log.hasNextPage && (
        <Group>
          <Button variant="default" onClick={() => void log.fetchNextPage()} loading={log.isFetchingNextPage}>
            Load more
          </Button>
        </Group>
      )}
      {open && <MessagePanel message={open} onClose={() => setOpen(null)} />}
    </Stack>
  );
}

function MessageTable({ messages, onOpen }: { messages: Message[]; onOpen: (message: Message) => void }) {
  if (messages.length === 0) return <Text size="sm" c="dimmed">No messages.</Text>;
  return (
    <Table.ScrollContainer minWidth={760}>
      <Table aria-label="Mail delivery log" data-testid="mail-log" verticalSpacing={6} highlightOnHover>
        <Table.Thead>
          <Table.Tr>
            <Table.Th scope="col">To</Table.Th>
            <Table.Th scope="col">Subject</Table.Th>
            <Table.Th scope="col">Status</Table.Th>
            <Table.Th scope="col">Attempts</Table.Th>
            <Table.Th scope="col">Queued</Table.Th>
            <Table.Th scope="col">Sent or logged</Table.Th>
          </Table.Tr>
        </Table.Thead>
        <Table.Tbody>
          {messages.map((message) => {
            const state = mailStatus(message.status);
            return (
              <Table.Tr key={message.id} onClick={() => onOpen(message)} style={{ cursor: "pointer" }}>
                <Table.Td style={{ wordBreak: "break-all" }}>{message.to}</Table.Td>
                <Table.Td>
                  {/* The row is clickable with a pointer; this is its keyboard and screen-reader way in. */}
                  <Anchor
                    component="button"
                    type="button"
                    size="sm"
                    ta="left"
                    onClick={(event) => {
                      event.stopPropagation();
                      onOpen(message);
                    }}
                  >
                    {message.subject}
                  </Anchor>
                </Table.Td>
                <Table.Td>
                  <Badge variant="outline" color={state.color} title={state.help}>
                    {state.label}
                  </Badge>
                  {message.error_class && (
                    <Text size="xs" c="dimmed">
                      {message.error_class}
                    </Text>
                  )}
                </Table.Td>
                <Table.Td className="num">{message.attempts}</Table.Td>
                <Table.Td>{formatDateTime(message.created_at)}</Table.Td>
                <Table.Td>{message.sent_at ? formatDateTime(message.sent_at) : "—"}</Table.Td>
              </Table.Tr>
            );
          })}
        </Table.Tbody>
      </Table>
    </Table.ScrollContainer>
  );
}

function MessagePanel({ message, onClose }: { message: Message; onClose: () => void }) {
  const state = mailStatus(message.status);
  const body = mailBody(message);
  return (
    <Modal opened onClose={onClose} title={message.subject} size="lg">
      <Stack gap="sm">
        <Text size="sm">
          To <strong>{message.to}</strong> · {state.label} ({state.help.toLowerCase() || message.status}) ·{" "}
          {message.attempts} {message.attempts === 1 ? "attempt" : "attempts"}
        </Text>
        <Text size="sm" c="dimmed">
          Kind <Code>{message.kind}</Code> · queued {formatDateTime(message.created_at)}
          {message.sent_at ? ` · sent or logged ${formatDateTime(message.sent_at)}` : ""}
        </Text>
        {body.kept ? (
          <Code block data-testid="mail-body" style={{ whiteSpace: "pre-wrap", wordBreak: "break-word" }}>
            {body.text}
          </Code>
        ) : (
          <Text size="sm">{body.text}</Text>
        )}
      </Stack>
    </Modal>
  );
}
