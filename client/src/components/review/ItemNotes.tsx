/** The note and the decision the team records for one agenda item (kept with the review when it is recorded). */
import { Stack, Textarea, TextInput } from "@mantine/core";
import type { ItemNotes as Notes } from "../../lib/review";

export function ItemNotes({
  keyResultId,
  title,
  notes,
  onChange,
  size = "sm",
}: {
  keyResultId: string;
  title: string;
  notes: Notes;
  onChange: (keyResultId: string, next: { note: string; decision: string }) => void;
  size?: "sm" | "md";
}) {
  const entry = notes[keyResultId] ?? { note: "", decision: "" };
  return (
    <Stack gap={6}>
      <Textarea
        label="What the team said"
        description={`About “${title}”`}
        size={size}
        autosize
        minRows={1}
        value={entry.note}
        onChange={(event) => onChange(keyResultId, { ...entry, note: event.currentTarget.value })}
      />
      <TextInput
        label="What the team decided"
        size={size}
        value={entry.decision}
        onChange={(event) => onChange(keyResultId, { ...entry, decision: event.currentTarget.value })}
      />
    </Stack>
  );
}
