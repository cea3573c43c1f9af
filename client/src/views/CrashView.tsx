/** Shown instead of a blank page when a screen fails to render (a bug): a way back, and the error for a report. */
import { Alert, Anchor, Button, Container, Group, Stack, Text, Title } from "@mantine/core";
import { useEffect } from "react";
import { useRouteError } from "react-router";
import { isChunkLoadError, reloadOnce } from "../lib/chunkLoad";

export function CrashView() {
  const error = useRouteError();
  const chunk = isChunkLoadError(error);
  // A screen's code that failed to load (a redeploy, or offline): reload once; the friendly page shows meanwhile.
  useEffect(() => {
    if (chunk) reloadOnce();
  }, [chunk]);
  if (chunk) {
    return (
      <main>
        <Container size={560} py={64}>
          <Stack>
            <Title order={1}>This screen could not be loaded</Title>
            <Text>
              Sightline may have been updated since this page was opened, or the connection dropped. Your work is saved
              on the server; reloading the page fetches the current version.
            </Text>
            <Group>
              <Button onClick={() => window.location.reload()}>Reload</Button>
              <Anchor href="/scoreboard">Back to the scoreboard</Anchor>
            </Group>
          </Stack>
        </Container>
      </main>
    );
  }
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
