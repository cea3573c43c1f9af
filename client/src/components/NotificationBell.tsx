/**
 * The bell in the header: the unread count (polled once a minute and on window focus) and the inbox in a popover
 * dialog — newest first, "Load more", unread marked; a click marks it read and opens what it is about.
 */
import { ActionIcon, Badge, Box, Button, Group, Popover, Stack, Text, Title, UnstyledButton, VisuallyHidden } from "@mantine/core";
import { IconBell } from "@tabler/icons-react";
import { useId, useState } from "react";
import { useNavigate } from "react-router";
import type { Schemas } from "../api/client";
import { formatDateTime } from "../lib/format";
import { appPath, badgeText, bellLabel } from "../lib/notifications";
import { useInbox, useMarkAllRead, useMarkRead, useUnreadCount } from "../queries/notifications";
import { Loading, QueryError } from "./QueryState";

type Notification = Schemas["NotificationPublic"];

export function NotificationBell({ enabled }: { enabled: boolean }) {
  const [opened, setOpened] = useState(false);
  const headingId = useId();
  const unread = useUnreadCount(enabled);
  const count = unread.data?.unread_count;
  const badge = badgeText(count);
  // Kept here, not in the inbox: the inbox unmounts when it closes, and the reads must still refresh the count.
  const markRead = useMarkRead();
  const markAllRead = useMarkAllRead();
  return (
    <Popover
      opened={opened}
      onChange={setOpened}
      position="bottom-end"
      width="min(380px, calc(100vw - 16px))"
      shadow="md"
      trapFocus
      returnFocus
      closeOnEscape
      withinPortal
    >
      <Popover.Target>
        <ActionIcon
          variant="subtle"
          color="gray.8"
          size="lg"
          aria-label={bellLabel(count)}
          aria-expanded={opened}
          aria-haspopup="dialog"
          data-testid="notification-bell"
          onClick={() => setOpened((open) => !open)}
          // Escape closes it while the focus is still on the bell (the popover only hears it inside itself).
          onKeyDown={(event) => {
            if (event.key === "Escape") setOpened(false);
          }}
          style={{ position: "relative", overflow: "visible" }}
          disabled={!enabled}
        >
          <IconBell size={20} aria-hidden />
          {badge && (
            <Badge
              size="xs"
              color="red.8"
              variant="filled"
              circle={badge.length === 1}
              aria-hidden
              data-testid="notification-badge"
              style={{ position: "absolute", top: -4, right: -6, pointerEvents: "none" }}
            >
              {badge}
            </Badge>
          )}
        </ActionIcon>
      </Popover.Target>
      {/* Named by its heading (Mantine would name it after the bell, count included). */}
      <Popover.Dropdown aria-labelledby={headingId} p="sm">
        {opened && (
          <Inbox
            headingId={headingId}
            unread={count ?? 0}
            onOpen={(notification) => {
              if (notification.read_at === null) {
                markRead.mutate({ params: { path: { notification_id: notification.id } } });
              }
              setOpened(false);
            }}
            onReadAll={() => markAllRead.mutate({})}
            readingAll={markAllRead.isPending}
          />
        )}
      </Popover.Dropdown>
    </Popover>
  );
}

function Inbox({
  headingId,
  unread,
  onOpen,
  onReadAll,
  readingAll,
}: {
  headingId: string;
  unread: number;
  onOpen: (notification: Notification) => void;
  onReadAll: () => void;
  readingAll: boolean;
}) {
  const inbox = useInbox(true);
  const navigate = useNavigate();
  const items = inbox.data?.pages.flatMap((page) => page.items) ?? [];
  return (
    <Stack gap="xs">
      <Group justify="space-between" wrap="nowrap">
        <Title order={2} size="h5" id={headingId}>
          Notifications
        </Title>
        <Button size="compact-sm" variant="subtle" onClick={onReadAll} disabled={unread === 0} loading={readingAll}>
          Mark all read
        </Button>
      </Group>
      {inbox.error ? (
        <QueryError error={inbox.error} onRetry={() => void inbox.refetch()} />
      ) : inbox.isPending ? (
        <Loading label="Loading your notifications" />
      ) : items.length === 0 ? (
        <Text size="sm" c="dimmed" py="md" ta="center">
          Nothing yet. You will be told here when someone mentions you or something you own changes.
        </Text>
      ) : (
        <Box
          component="ul"
          aria-label="Your notifications, newest first"
          style={{ listStyle: "none", margin: 0, padding: 0, maxHeight: "min(60vh, 480px)", overflowY: "auto", display: "grid", gap: 4 }}
        >
          {items.map((notification) => (
            <li key={notification.id}>
              <InboxItem
                notification={notification}
                onOpen={() => {
                  onOpen(notification);
                  void navigate(appPath(notification.path));
                }}
              />
            </li>
          ))}
        </Box>
      )}
      {inbox.hasNextPage && (
        <Button
          variant="default"
          size="xs"
          onClick={() => void inbox.fetchNextPage()}
          loading={inbox.isFetchingNextPage}
        >
          Load more
        </Button>
      )}
    </Stack>
  );
}

function InboxItem({ notification, onOpen }: { notification: Notification; onOpen: () => void }) {
  const unread = notification.read_at === null;
  return (
    <UnstyledButton
      onClick={onOpen}
      data-testid="notification"
      data-unread={unread ? "true" : "false"}
      w="100%"
      p="xs"
      style={{
        borderRadius: 6,
        borderLeft: `3px solid ${unread ? "var(--mantine-color-indigo-7)" : "transparent"}`,
        background: unread ? "var(--mantine-color-indigo-0)" : undefined,
      }}
    >
      {unread && <VisuallyHidden>Unread: </VisuallyHidden>}
      <Text size="sm" fw={unread ? 700 : 500} lineClamp={1}>
        {notification.title}
      </Text>
      <Text size="sm" lineClamp={2}>
        {notification.summary}
      </Text>
      <Text size="xs" c="dimmed">
        {formatDateTime(notification.created_at)}
      </Text>
    </UnstyledButton>
  );
}
