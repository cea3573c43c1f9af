/** The centred card of the sign-in and sign-up screens. */
import { Anchor, Container, Paper, Stack, Text, Title } from "@mantine/core";
import type { ReactNode } from "react";

export function AuthFrame({ title, subtitle, children }: { title: string; subtitle: ReactNode; children: ReactNode }) {
  return (
    <main>
      <Container size={440} py={64}>
        <Stack gap="lg">
          <Stack gap={4} align="center">
            <Text fw={800} size="xl" c="indigo.8">
              Sightline
            </Text>
            <Title order={1} size="h2" ta="center">
              {title}
            </Title>
            <Text c="dimmed" size="sm" ta="center">
              {subtitle}
            </Text>
          </Stack>
          <Paper withBorder shadow="sm" p="xl" radius="md">
            {children}
          </Paper>
          <Text size="xs" c="dimmed" ta="center">
            OKRs with line of sight ·{" "}
            <Anchor href="/api/docs" size="xs">
              API documentation
            </Anchor>
          </Text>
        </Stack>
      </Container>
    </main>
  );
}
