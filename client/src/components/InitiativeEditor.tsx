/**
 * Edit an initiative's details (title, description, kind, owner, team, dates, planned budget) with If-Match on the
 * version read when editing began. A 412 shows who won and lets the person discard their edit or start again from
 * theirs, as on the objective page; nothing is saved over another person's change.
 */
import { Button, Group, Select, Stack, Textarea, TextInput, Title } from "@mantine/core";
import { notifications } from "@mantine/notifications";
import { useQueryClient } from "@tanstack/react-query";
import { type FormEvent, useState } from "react";
import type { Schemas } from "../api/client";
import { initiativeChanges, initiativeDraftOf, type InitiativeDraft, validateInitiative } from "../lib/initiativeForm";
import { money } from "../lib/money";
import { fieldErrors, isConflict } from "../lib/problem";
import type { Errors } from "../lib/validation";
import { useDirectory } from "../queries/directory";
import { useUpdateInitiative } from "../queries/initiatives";
import { refreshOnConflict } from "../queries/shared";
import { EditConflict } from "./EditConflict";
import { FormProblem } from "./FormProblem";

type Initiative = Schemas["InitiativePublic"];

export const INITIATIVE_KINDS: { value: Initiative["kind"]; label: string }[] = [
  { value: "campaign", label: "Campaign" },
  { value: "program", label: "Program" },
  { value: "project", label: "Project" },
  { value: "task", label: "Task" },
];

export function InitiativeEditor({
  snapshot,
  latest,
  onDone,
  onRebase,
}: {
  /** The version editing started from: its ETag goes with the save. */
  snapshot: Initiative;
  /** The initiative as the list shows it now (newer than the snapshot after a conflict). */
  latest: Initiative;
  onDone: () => void;
  onRebase: (initiative: Initiative) => void;
}) {
  const update = useUpdateInitiative();
  const queryClient = useQueryClient();
  const directory = useDirectory();
  const before = initiativeDraftOf(snapshot);
  const [draft, setDraft] = useState<InitiativeDraft>(before);
  const [errors, setErrors] = useState<Errors>({});
  const conflict = isConflict(update.error);
  const newer = latest.version !== snapshot.version ? latest : null;
  const shown = { ...(conflict ? {} : fieldErrors(update.error)), ...errors };
  const set = <K extends keyof InitiativeDraft>(key: K, value: InitiativeDraft[K]) =>
    setDraft((current) => ({ ...current, [key]: value }));

  const submit = (event: FormEvent) => {
    event.preventDefault();
    const found = validateInitiative(draft);
    setErrors(found);
    if (Object.keys(found).length > 0) return;
    const changes = initiativeChanges(before, draft);
    if (Object.keys(changes).length === 0) return onDone();
    update.mutate(
      { params: { path: { initiative_id: snapshot.id } }, ifMatch: snapshot, body: changes },
      {
        onSuccess: () => {
          notifications.show({ color: "teal", message: "Initiative saved" });
          onDone();
        },
        onError: refreshOnConflict(queryClient, "/api/v1/initiatives"),
      },
    );
  };

  return (
    <section aria-labelledby="edit-initiative-heading">
      <Title order={3} size="h5" mb="xs" id="edit-initiative-heading">
        Edit details
      </Title>
      {conflict ? (
        <EditConflict
          what="initiative"
          testId="initiative-conflict"
          theirs={
            newer
              ? `It is now “${newer.title}” with a budget of ${money(newer.planned_budget, newer.currency)} (version ${newer.version}).`
              : null
          }
          onDiscard={() => {
            update.reset();
            onDone();
          }}
          onRebase={() => {
            if (!newer) return;
            update.reset();
            onRebase(newer);
          }}
        />
      ) : (
        <FormProblem error={update.error} />
      )}
      <form onSubmit={submit} noValidate aria-label="Edit initiative">
        <Stack gap="sm">
          <TextInput
            label="Title"
            required
            value={draft.title}
            onChange={(e) => set("title", e.currentTarget.value)}
            error={shown.title}
            data-autofocus
          />
          <Textarea
            label="Description"
            autosize
            minRows={2}
            maxRows={6}
            value={draft.description}
            onChange={(e) => set("description", e.currentTarget.value)}
            error={shown.description}
          />
          <Group grow align="flex-start" wrap="wrap">
            <Select
              label="Kind"
              data={INITIATIVE_KINDS}
              value={draft.kind}
              onChange={(value) => value && set("kind", value)}
              allowDeselect={false}
              miw={140}
            />
            <Select
              label="Owner"
              data={directory.members.map((m) => ({ value: m.id, label: m.name }))}
              value={draft.owner_id || null}
              onChange={(value) => value && set("owner_id", value)}
              allowDeselect={false}
              searchable
              error={shown.owner_id}
              miw={140}
            />
            <Select
              label="Team"
              placeholder="No team"
              data={directory.teams.map((t) => ({ value: t.id, label: t.name }))}
              value={draft.team_id || null}
              onChange={(value) => set("team_id", value ?? "")}
              clearable
              error={shown.team_id}
              miw={140}
            />
          </Group>
          <Group grow align="flex-start" wrap="wrap">
            <TextInput
              label="Starts"
              type="date"
              value={draft.start_date}
              onChange={(e) => set("start_date", e.currentTarget.value)}
              error={shown.start_date}
              miw={140}
            />
            <TextInput
              label="Ends"
              type="date"
              value={draft.end_date}
              onChange={(e) => set("end_date", e.currentTarget.value)}
              error={shown.end_date}
              miw={140}
            />
            <TextInput
              label="Planned budget"
              description={snapshot.currency}
              inputMode="decimal"
              value={draft.planned_budget}
              onChange={(e) => set("planned_budget", e.currentTarget.value)}
              error={shown.planned_budget}
              miw={140}
            />
          </Group>
          <Group justify="flex-end" gap="xs">
            <Button variant="default" onClick={onDone}>
              Cancel
            </Button>
            <Button type="submit" loading={update.isPending} disabled={conflict}>
              Save details
            </Button>
          </Group>
        </Stack>
      </form>
    </section>
  );
}
