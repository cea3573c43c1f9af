/** The three states every screen has besides its content: error (shown first), loading and empty. */
import { Alert, Button, Center, Group, Loader, Stack, Text, Title } from "@mantine/core";
import { IconAlertTriangle, IconInbox } from "@tabler/icons-react";
import type { ReactNode } from "react";
import { asProblem } from "../lib/problem";

export function QueryError({ error, onRetry, title }: { error: unknown; onRetry?: () => void; title?: string }) {
  const problem = asProblem(error);
  return (
    <Alert color="red" variant="light" title={title ?? problem.title} icon={<IconAlertTriangle aria-hidden />} role="alert">
      <Stack gap="xs">
        <Text size="sm">{problem.detail}</Text>
        {onRetry && (
          <Group>
            <Button size="xs" variant="outline" color="red" onClick={onRetry}>
              Try again
            </Button>
          </Group>
        )}
      </Stack>
    </Alert>
  );
}

export function Loading({ label = "Loading" }: { label?: string }) {
  return (
    <Center py="xl" role="status" aria-live="polite">
      <Stack align="center" gap="xs">
        <Loader aria-hidden />
        <Text size="sm" c="dimmed">
          {label}…
        </Text>
      </Stack>
    </Center>
  );
}

export function EmptyState({
  title,
  children,
  action,
  order = 2,
}: {
  title: string;
  children?: ReactNode;
  action?: ReactNode;
  /** 1 when the empty state is the whole page (its title is then the page's heading). */
  order?: 1 | 2;
}) {
  return (
    <Center py="xl">
      <Stack align="center" gap="sm" maw={460} ta="center">
        <IconInbox size={40} stroke={1.4} aria-hidden color="var(--mantine-color-gray-6)" />
        <Title order={order} size="h4">
          {title}
        </Title>
        {children && (
          <Text size="sm" c="dimmed">
            {children}
          </Text>
        )}
        {action}
      </Stack>
    </Center>
  );
}
