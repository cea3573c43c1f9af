/** Shown instead of a blank page when a screen fails to render (a bug): a way back, and the error for a report. */
import { Alert, Anchor, Container, Stack, Text, Title } from "@mantine/core";
import { useRouteError } from "react-router";

export function CrashView() {
  const error = useRouteError();
  return (
    <main>
      <Container size={560} py={64}>
        <Stack>
          <Title order={1}>This screen failed</Title>
          <Alert color="red" title="Something went wrong in the app">
            <Text size="sm">{error instanceof Error ? error.message : String(error)}</Text>
          </Alert>
          <Anchor href="/scoreboard">Back to the scoreboard</Anchor>
        </Stack>
      </Container>
    </main>
  );
}
