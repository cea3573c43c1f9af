/** Create a cycle (name, dates, optional parent, planning or active). */
import { Button, Group, Select, Stack, TextInput } from "@mantine/core";
import { type FormEvent, useState } from "react";
import type { Schemas } from "../../api/client";
import { type CycleDraft, type Errors, validateCycle } from "../../lib/validation";

export function CycleForm({
  cycles,
  serverErrors = {},
  submitting,
  onSubmit,
  onCancel,
}: {
  cycles: Schemas["CyclePublic"][];
  serverErrors?: Errors;
  submitting: boolean;
  onSubmit: (body: Schemas["CycleCreate"]) => void;
  onCancel?: () => void;
}) {
  const [draft, setDraft] = useState<CycleDraft & { parent_id: string; state: "planning" | "active" }>({
    name: "",
    start_date: "",
    end_date: "",
    parent_id: "",
    state: "active",
  });
  const [errors, setErrors] = useState<Errors>({});
  const shown = { ...serverErrors, ...errors };
  const submit = (event: FormEvent) => {
    event.preventDefault();
    const found = validateCycle(draft);
    setErrors(found);
    if (Object.keys(found).length > 0) return;
    onSubmit({
      name: draft.name.trim(),
      start_date: draft.start_date,
      end_date: draft.end_date,
      parent_id: draft.parent_id || null,
      state: draft.state,
    });
  };
  return (
    <form onSubmit={submit} noValidate aria-label="New cycle">
      <Stack>
        <TextInput
          label="Name"
          placeholder="2026-Q1"
          required
          value={draft.name}
          onChange={(event) => setDraft({ ...draft, name: event.currentTarget.value })}
          error={shown.name}
          data-autofocus
        />
        <Group grow align="flex-start">
          <TextInput
            label="First day"
            type="date"
            required
            value={draft.start_date}
            onChange={(event) => setDraft({ ...draft, start_date: event.currentTarget.value })}
            error={shown.start_date}
          />
          <TextInput
            label="Last day"
            type="date"
            required
            value={draft.end_date}
            onChange={(event) => setDraft({ ...draft, end_date: event.currentTarget.value })}
            error={shown.end_date}
          />
        </Group>
        <Group grow align="flex-start">
          <Select
            label="Part of"
            placeholder="None (a top-level cycle)"
            description="e.g. the year a quarter belongs to"
            data={cycles.map((cycle) => ({ value: cycle.id, label: cycle.name }))}
            value={draft.parent_id || null}
            onChange={(value) => setDraft({ ...draft, parent_id: value ?? "" })}
            clearable
            error={shown.parent_id}
          />
          <Select
            label="State"
            data={[
              { value: "active", label: "Active" },
              { value: "planning", label: "Planning" },
            ]}
            value={draft.state}
            onChange={(value) => value && setDraft({ ...draft, state: value })}
            allowDeselect={false}
          />
        </Group>
        <Group justify="flex-end">
          {onCancel && (
            <Button variant="default" onClick={onCancel}>
              Cancel
            </Button>
          )}
          <Button type="submit" loading={submitting}>
            Create cycle
          </Button>
        </Group>
      </Stack>
    </form>
  );
}
