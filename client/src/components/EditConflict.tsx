/**
 * The answer to a 412 on an edit: nothing was saved, so the other person's change stands. Shows their version
 * (once it has been read again) and two ways on: discard mine, or start again from theirs.
 */
import { Alert, Button, Group, Stack, Text } from "@mantine/core";

export function EditConflict({
  what,
  theirs,
  testId,
  onDiscard,
  onRebase,
}: {
  /** "objective", "initiative": completes "Someone else changed this …". */
  what: string;
  /** A sentence describing their version; null while it is being read again. */
  theirs: string | null;
  testId: string;
  onDiscard: () => void;
  onRebase: () => void;
}) {
  return (
    <Alert color="orange" role="alert" title={`Someone else changed this ${what}`} mb="md" data-testid={testId}>
      <Stack gap="xs">
        <Text size="sm">
          Your changes were not saved, so theirs are not overwritten. {theirs ?? "Loading their version…"}
        </Text>
        <Group gap="xs">
          <Button size="xs" variant="filled" disabled={theirs === null} onClick={onDiscard}>
            Discard mine, show theirs
          </Button>
          <Button size="xs" variant="outline" disabled={theirs === null} onClick={onRebase}>
            Edit their version
          </Button>
        </Group>
      </Stack>
    </Alert>
  );
}
