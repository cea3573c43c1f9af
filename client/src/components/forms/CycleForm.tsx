/** Create a cycle (name, dates, optional parent, planning or active), starting from a preset (this quarter…). */
import { Button, Group, SegmentedControl, Select, Stack, Text, TextInput } from "@mantine/core";
import { type FormEvent, useState } from "react";
import type { Schemas } from "../../api/client";
import { type CyclePreset, cyclePresets, type PresetKey } from "../../lib/cyclePresets";
import { type CycleDraft, type Errors, validateCycle } from "../../lib/validation";
import { todayIso } from "../../queries/cycleChoice";

type Draft = CycleDraft & { parent_id: string; state: "planning" | "active" };

/** The draft a preset fills in: its name and dates, and for a quarter the year cycle it belongs to, if there is one. */
function fromPreset(preset: CyclePreset, cycles: Schemas["CyclePublic"][], draft: Draft): Draft {
  const year = preset.year
    ? cycles.find((c) => c.start_date === preset.year?.start_date && c.end_date === preset.year?.end_date)
    : undefined;
  return { ...draft, name: preset.name, start_date: preset.start_date, end_date: preset.end_date, parent_id: year?.id ?? "" };
}

export function CycleForm({
  cycles,
  fiscalStartMonth = 1,
  serverErrors = {},
  submitting,
  onSubmit,
  onCancel,
}: {
  cycles: Schemas["CyclePublic"][];
  fiscalStartMonth?: number;
  serverErrors?: Errors;
  submitting: boolean;
  onSubmit: (body: Schemas["CycleCreate"]) => void;
  onCancel?: () => void;
}) {
  const [presets] = useState(() => cyclePresets(todayIso(), fiscalStartMonth));
  const [preset, setPreset] = useState<PresetKey | "custom">("this_quarter");
  const [draft, setDraft] = useState<Draft>(() =>
    fromPreset(presets[0]!, cycles, { name: "", start_date: "", end_date: "", parent_id: "", state: "active" }),
  );
  const choosePreset = (key: string) => {
    setPreset(key as PresetKey | "custom");
    const chosen = presets.find((p) => p.key === key);
    if (chosen) setDraft(fromPreset(chosen, cycles, draft));
  };
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
        <div>
          <Text size="sm" fw={500} id="cycle-preset-label">
            Period
          </Text>
          <SegmentedControl
            aria-labelledby="cycle-preset-label"
            value={preset}
            onChange={choosePreset}
            fullWidth
            data={[...presets.map((p) => ({ value: p.key, label: p.label })), { value: "custom", label: "Custom" }]}
          />
          <Text size="xs" c="dimmed" mt={4}>
            Counted from your fiscal year, which starts in{" "}
            {new Date(Date.UTC(2000, fiscalStartMonth - 1, 1)).toLocaleString("en", { month: "long", timeZone: "UTC" })}.
          </Text>
        </div>
        <TextInput
          label="Name"
          placeholder="2026-Q1"
          required
          value={draft.name}
          onChange={(event) => setDraft({ ...draft, name: event.currentTarget.value })}
          error={shown.name}
        />
        <Group grow align="flex-start">
          <TextInput
            label="First day"
            type="date"
            required
            value={draft.start_date}
            onChange={(event) => {
              setPreset("custom");
              setDraft({ ...draft, start_date: event.currentTarget.value });
            }}
            error={shown.start_date}
          />
          <TextInput
            label="Last day"
            type="date"
            required
            value={draft.end_date}
            onChange={(event) => {
              setPreset("custom");
              setDraft({ ...draft, end_date: event.currentTarget.value });
            }}
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
          <Button type="submit" loading={submitting} data-autofocus>
            Create cycle
          </Button>
        </Group>
      </Stack>
    </form>
  );
}
