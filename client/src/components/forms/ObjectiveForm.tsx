/** Create or edit an objective's fields (title, level, team, owner, kind, state, roll-up). */
import { Button, Group, SegmentedControl, Select, Stack, Text, Textarea, TextInput } from "@mantine/core";
import { type FormEvent, useState } from "react";
import type { Schemas } from "../../api/client";
import type { Errors } from "../../lib/validation";
import { KIND_LABEL, LEVEL_LABEL } from "../../lib/status";
import { useDirectory } from "../../queries/directory";

export interface ObjectiveDraft {
  title: string;
  description: string;
  level: "company" | "team" | "individual";
  team_id: string;
  owner_id: string;
  kind: "committed" | "aspirational";
  state: "draft" | "active" | "closed" | "archived";
  progress_from: "key_results" | "children" | "both";
}

/** An objective's draft; a new one is a team objective where there are teams, else a company objective. */
export function objectiveDraftOf(objective?: Schemas["ObjectivePublic"], hasTeams = true): ObjectiveDraft {
  return {
    title: objective?.title ?? "",
    description: objective?.description ?? "",
    level: objective?.level ?? (hasTeams ? "team" : "company"),
    team_id: objective?.team_id ?? "",
    owner_id: objective?.owner_id ?? "",
    kind: objective?.kind ?? "committed",
    state: objective?.state ?? "active",
    progress_from: objective?.progress_from ?? "key_results",
  };
}

export function validateObjective(draft: ObjectiveDraft): Errors {
  const errors: Errors = {};
  if (!draft.title.trim()) errors.title = "Say what you want to achieve";
  if (draft.level !== "company" && !draft.team_id) errors.team_id = "Pick the team (only company objectives have none)";
  return errors;
}

export function ObjectiveForm({
  initial,
  editing = false,
  serverErrors = {},
  submitting,
  submitLabel,
  onSubmit,
  onCancel,
}: {
  initial: ObjectiveDraft;
  editing?: boolean;
  serverErrors?: Errors;
  submitting: boolean;
  submitLabel: string;
  onSubmit: (draft: ObjectiveDraft) => void;
  onCancel?: () => void;
}) {
  const [draft, setDraft] = useState(initial);
  const [errors, setErrors] = useState<Errors>({});
  const directory = useDirectory();
  const shown = { ...serverErrors, ...errors };
  const set = <K extends keyof ObjectiveDraft>(key: K, value: ObjectiveDraft[K]) =>
    setDraft((current) => ({ ...current, [key]: value }));

  const submit = (event: FormEvent) => {
    event.preventDefault();
    const found = validateObjective(draft);
    setErrors(found);
    if (Object.keys(found).length === 0) onSubmit(draft);
  };

  return (
    <form onSubmit={submit} noValidate aria-label={submitLabel}>
      <Stack>
        <TextInput
          label="Objective"
          placeholder="Make marketing the engine of pipeline"
          required
          value={draft.title}
          onChange={(event) => set("title", event.currentTarget.value)}
          error={shown.title}
          data-autofocus
        />
        <Textarea
          label="Why it matters"
          autosize
          minRows={2}
          value={draft.description}
          onChange={(event) => set("description", event.currentTarget.value)}
          error={shown.description}
        />
        <Stack gap={4}>
          <Text size="sm" fw={500} id="objective-level-label">
            Level
          </Text>
          <SegmentedControl
            aria-labelledby="objective-level-label"
            value={draft.level}
            onChange={(value) => set("level", value as ObjectiveDraft["level"])}
            data={Object.entries(LEVEL_LABEL).map(([value, label]) => ({ value, label }))}
          />
        </Stack>
        <Group grow align="flex-start" wrap="wrap">
          <Select
            label="Team"
            placeholder={draft.level === "company" ? "Whole company" : "Pick a team"}
            data={directory.teams.map((team) => ({ value: team.id, label: team.name }))}
            value={draft.team_id || null}
            onChange={(value) => set("team_id", value ?? "")}
            clearable
            searchable
            required={draft.level !== "company"}
            error={shown.team_id}
            miw={200}
          />
          <Select
            label="Owner"
            placeholder="You"
            data={directory.members.map((member) => ({ value: member.id, label: member.name }))}
            value={draft.owner_id || null}
            onChange={(value) => set("owner_id", value ?? "")}
            clearable
            searchable
            error={shown.owner_id}
            miw={200}
          />
        </Group>
        <Group grow align="flex-start" wrap="wrap">
          <Select
            label="Kind"
            description="Committed: we will hit it. Aspirational: a stretch."
            data={Object.entries(KIND_LABEL).map(([value, label]) => ({ value, label }))}
            value={draft.kind}
            onChange={(value) => value && set("kind", value as ObjectiveDraft["kind"])}
            allowDeselect={false}
            miw={200}
          />
          <Select
            label="State"
            data={
              editing
                ? [
                    { value: "draft", label: "Draft" },
                    { value: "active", label: "Active" },
                    { value: "closed", label: "Closed" },
                  ]
                : [
                    { value: "draft", label: "Draft" },
                    { value: "active", label: "Active" },
                  ]
            }
            value={draft.state}
            onChange={(value) => value && set("state", value)}
            allowDeselect={false}
            error={shown.state}
            miw={160}
          />
          <Select
            label="Progress from"
            data={[
              { value: "key_results", label: "Its key results" },
              { value: "children", label: "Aligned objectives" },
              { value: "both", label: "Both" },
            ]}
            value={draft.progress_from}
            onChange={(value) => value && set("progress_from", value)}
            allowDeselect={false}
            miw={180}
          />
        </Group>
        <Group justify="flex-end">
          {onCancel && (
            <Button variant="default" onClick={onCancel}>
              Cancel
            </Button>
          )}
          <Button type="submit" loading={submitting}>
            {submitLabel}
          </Button>
        </Group>
      </Stack>
    </form>
  );
}

/** Draft → create body (the API fills owner with the caller when left empty). */
export function objectiveCreateBody(draft: ObjectiveDraft, cycleId: string): Schemas["ObjectiveCreate"] {
  return {
    cycle_id: cycleId,
    title: draft.title.trim(),
    description: draft.description.trim(),
    level: draft.level,
    team_id: draft.level === "company" ? (draft.team_id || null) : draft.team_id,
    owner_id: draft.owner_id || null,
    kind: draft.kind,
    state: draft.state === "draft" ? "draft" : "active",
    progress_from: draft.progress_from,
  };
}

/** Only the fields that changed since `before`, so a PATCH never rewrites what the person did not touch. */
export function objectiveChanges(before: ObjectiveDraft, after: ObjectiveDraft): Schemas["ObjectiveUpdate"] {
  const changes: Schemas["ObjectiveUpdate"] = {};
  if (after.title.trim() !== before.title) changes.title = after.title.trim();
  if (after.description.trim() !== before.description) changes.description = after.description.trim();
  if (after.level !== before.level) changes.level = after.level;
  if (after.team_id !== before.team_id) changes.team_id = after.team_id || null;
  if (after.owner_id !== before.owner_id && after.owner_id) changes.owner_id = after.owner_id;
  if (after.kind !== before.kind) changes.kind = after.kind;
  if (after.state !== before.state) changes.state = after.state;
  if (after.progress_from !== before.progress_from) changes.progress_from = after.progress_from;
  return changes;
}
