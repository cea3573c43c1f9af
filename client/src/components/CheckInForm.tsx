/** Check in on one key result: value, confidence, note, and optionally the time it reports (backdating). */
import { Button, Collapse, Group, NumberInput, Stack, TextInput, UnstyledButton } from "@mantine/core";
import { notifications } from "@mantine/notifications";
import { type FormEvent, useState } from "react";
import type { Schemas } from "../api/client";
import { fieldErrors } from "../lib/problem";
import { checkInFields, type CheckInDraft, type Errors, validateCheckIn } from "../lib/validation";
import { useCreateCheckIn } from "../queries/okrs";
import { FormProblem } from "./FormProblem";

export function CheckInForm({ keyResult }: { keyResult: Schemas["KeyResultPublic"] }) {
  const empty: CheckInDraft = { value: "", confidence: "", note: "" };
  const [draft, setDraft] = useState(empty);
  const [reportedAt, setReportedAt] = useState("");
  const [moreOpen, setMoreOpen] = useState(false);
  const [errors, setErrors] = useState<Errors>({});
  const create = useCreateCheckIn();
  const shown = { ...fieldErrors(create.error), ...errors };
  const id = keyResult.id.slice(0, 8);

  const submit = (event: FormEvent) => {
    event.preventDefault();
    const found = validateCheckIn(draft, keyResult.metric, keyResult.target_value);
    setErrors(found);
    if (Object.keys(found).length > 0) return;
    create.mutate(
      {
        body: {
          key_result_id: keyResult.id,
          ...checkInFields(draft),
          checked_in_at: reportedAt ? new Date(reportedAt).toISOString() : null,
        },
      },
      {
        onSuccess: () => {
          notifications.show({ color: "teal", message: `Checked in on ${keyResult.title}` });
          setDraft(empty);
          setReportedAt("");
          create.reset();
        },
      },
    );
  };

  return (
    <form onSubmit={submit} noValidate aria-label={`Check in on ${keyResult.title}`}>
      <FormProblem error={create.error} title="Check-in not saved" />
      <Stack gap="xs">
        <Group align="flex-start" wrap="wrap" gap="sm">
          <TextInput
            label={
              keyResult.metric !== "milestone"
                ? "New value"
                : keyResult.target_value > 1
                  ? `Steps done (0–${keyResult.target_value})`
                  : "Done? (1 or 0)"
            }
            inputMode="decimal"
            value={draft.value}
            onChange={(event) => setDraft({ ...draft, value: event.currentTarget.value })}
            error={shown.value}
            w={140}
            id={`checkin-value-${id}`}
          />
          <NumberInput
            label="Confidence (0–10)"
            min={0}
            max={10}
            allowDecimal={false}
            value={draft.confidence === "" ? "" : Number(draft.confidence)}
            onChange={(value) => setDraft({ ...draft, confidence: value === "" ? "" : String(value) })}
            error={shown.confidence}
            w={150}
          />
          <TextInput
            label="Note"
            placeholder="What moved it"
            value={draft.note}
            onChange={(event) => setDraft({ ...draft, note: event.currentTarget.value })}
            error={shown.note}
            style={{ flex: "1 1 200px" }}
          />
          <Button type="submit" mt={25} loading={create.isPending}>
            Check in
          </Button>
        </Group>
        <UnstyledButton
          onClick={() => setMoreOpen((open) => !open)}
          aria-expanded={moreOpen}
          fz="xs"
          c="indigo.8"
          style={{ alignSelf: "flex-start", textDecoration: "underline" }}
        >
          {moreOpen ? "Hide" : "Report a value for an earlier date"}
        </UnstyledButton>
        <Collapse expanded={moreOpen}>
          <TextInput
            label="Value as of"
            description="Backdated check-ins are marked as such in the history"
            type="datetime-local"
            value={reportedAt}
            onChange={(event) => setReportedAt(event.currentTarget.value)}
            error={shown.checked_in_at}
            w={260}
          />
        </Collapse>
      </Stack>
    </form>
  );
}
