/** Create or edit a key result: every metric type, direction, start/target/stretch/previous, weight, cadence, plan. */
import { ActionIcon, Button, Group, Select, Stack, Text, TextInput } from "@mantine/core";
import { IconPlus, IconTrash } from "@tabler/icons-react";
import { type FormEvent, useState } from "react";
import type { Schemas } from "../../api/client";
import { CADENCE_LABEL, DIRECTION_LABEL, METRIC_LABEL } from "../../lib/status";
import { type Errors, type KeyResultDraft, validateKeyResult } from "../../lib/validation";
import { useDirectory } from "../../queries/directory";
import { useKpis } from "../../queries/planning";

const ACCUMULATION = [
  { value: "cumulative", label: "A count for the cycle (starts again next cycle)" },
  { value: "level", label: "A level (next cycle starts where this one ends)" },
];

export function KeyResultForm({
  initial,
  cycle,
  serverErrors = {},
  submitting,
  submitLabel,
  onSubmit,
  onCancel,
}: {
  initial: KeyResultDraft;
  cycle?: Schemas["CyclePublic"];
  serverErrors?: Errors;
  submitting: boolean;
  submitLabel: string;
  onSubmit: (draft: KeyResultDraft) => void;
  onCancel?: () => void;
}) {
  const [draft, setDraft] = useState(initial);
  const [errors, setErrors] = useState<Errors>({});
  const directory = useDirectory();
  const kpis = useKpis();
  const kpiChoices = (kpis.data?.items ?? [])
    .filter((kpi) => !kpi.archived || kpi.id === draft.follows_kpi_id)
    .map((kpi) => ({ value: kpi.id, label: kpi.unit ? `${kpi.name} (${kpi.unit})` : kpi.name }));
  const shown = { ...serverErrors, ...errors };
  const milestone = draft.metric === "milestone";
  const set = <K extends keyof KeyResultDraft>(key: K, value: KeyResultDraft[K]) =>
    setDraft((current) => ({ ...current, [key]: value }));
  const text = (key: "title" | "unit" | "start_value" | "target_value" | "stretch_value" | "previous_value" | "weight") =>
    ({
      value: draft[key],
      onChange: (event: { currentTarget: { value: string } }) => set(key, event.currentTarget.value),
      error: shown[key],
    }) as const;
  const setPoint = (index: number, key: "date" | "value", value: string) =>
    set(
      "milestone_plan",
      draft.milestone_plan.map((point, i) => (i === index ? { ...point, [key]: value } : point)),
    );

  const submit = (event: FormEvent) => {
    event.preventDefault();
    const found = validateKeyResult(draft, cycle);
    setErrors(found);
    if (Object.keys(found).length === 0) onSubmit(draft);
  };

  return (
    <form onSubmit={submit} noValidate aria-label={submitLabel}>
      <Stack>
        <TextInput label="Key result" placeholder="Marketing-sourced leads" required data-autofocus {...text("title")} />
        <Group grow align="flex-start" wrap="wrap">
          <Select
            label="Metric"
            data={Object.entries(METRIC_LABEL).map(([value, label]) => ({ value, label }))}
            value={draft.metric}
            onChange={(value) => value && set("metric", value as KeyResultDraft["metric"])}
            allowDeselect={false}
            miw={180}
          />
          {!milestone && (
            <Select
              label="Direction"
              data={Object.entries(DIRECTION_LABEL).map(([value, label]) => ({ value, label }))}
              value={draft.direction}
              onChange={(value) => value && set("direction", value as KeyResultDraft["direction"])}
              allowDeselect={false}
              miw={180}
            />
          )}
          {draft.metric === "number" && <TextInput label="Unit" placeholder="leads" {...text("unit")} miw={120} />}
        </Group>
        {milestone ? (
          <TextInput
            label="Steps"
            description="1: done or not (check in 1 when done). More: check in the steps done; it is done at the last."
            placeholder="1"
            inputMode="numeric"
            {...text("target_value")}
            maw={420}
          />
        ) : (
          <>
            <Group grow align="flex-start" wrap="wrap">
              <TextInput label="Start" inputMode="decimal" required {...text("start_value")} miw={110} />
              <TextInput label="Target" inputMode="decimal" required {...text("target_value")} miw={110} />
              <TextInput
                label="Stretch"
                description="Optional; the target then scores 0.7"
                inputMode="decimal"
                {...text("stretch_value")}
                miw={110}
              />
            </Group>
            <Group grow align="flex-start" wrap="wrap">
              <TextInput
                label="Previous period"
                description="What the last comparable period achieved"
                inputMode="decimal"
                {...text("previous_value")}
                miw={150}
              />
              <TextInput label="Weight" inputMode="decimal" {...text("weight")} miw={80} />
            </Group>
          </>
        )}
        <Group grow align="flex-start" wrap="wrap">
          <Select
            label="Check-in cadence"
            placeholder="Organisation default"
            data={Object.entries(CADENCE_LABEL).map(([value, label]) => ({ value, label }))}
            value={draft.cadence || null}
            onChange={(value) => set("cadence", (value ?? "") as KeyResultDraft["cadence"])}
            clearable
            miw={180}
          />
          <Select
            label="Owner"
            placeholder="The objective's owner"
            data={directory.members.map((member) => ({ value: member.id, label: member.name }))}
            value={draft.owner_id || null}
            onChange={(value) => set("owner_id", value ?? "")}
            clearable
            searchable
            error={shown.owner_id}
            miw={180}
          />
        </Group>
        {!milestone && (
          <Group grow align="flex-start" wrap="wrap">
            <Select
              label="Counts as"
              data={ACCUMULATION}
              value={draft.accumulation}
              onChange={(value) => set("accumulation", value === "level" ? "level" : "cumulative")}
              allowDeselect={false}
              miw={220}
            />
            <Select
              label="Follows KPI"
              description="Its latest value in this cycle, then each new one, is checked in here"
              placeholder={kpiChoices.length ? "None" : "No KPIs yet"}
              data={kpiChoices}
              value={draft.follows_kpi_id || null}
              onChange={(value) => set("follows_kpi_id", value ?? "")}
              clearable
              searchable
              error={shown.follows_kpi_id}
              miw={220}
            />
          </Group>
        )}
        {!milestone && (
          <Stack gap="xs">
            <Group justify="space-between">
              <Text size="sm" fw={500}>
                Milestone plan
              </Text>
              <Button
                size="xs"
                variant="light"
                leftSection={<IconPlus size={14} aria-hidden />}
                onClick={() => set("milestone_plan", [...draft.milestone_plan, { date: "", value: "" }])}
              >
                Add a planned point
              </Button>
            </Group>
            {draft.milestone_plan.length === 0 && (
              <Text size="xs" c="dimmed">
                Without a plan the pace line runs straight from start to target.
              </Text>
            )}
            {draft.milestone_plan.map((point, index) => (
              <Group key={index} align="flex-start" wrap="nowrap">
                <TextInput
                  label={`Point ${index + 1} date`}
                  type="date"
                  value={point.date}
                  onChange={(event) => setPoint(index, "date", event.currentTarget.value)}
                  error={shown[`milestone_plan.${index}.date`]}
                  style={{ flex: 1 }}
                />
                <TextInput
                  label={`Point ${index + 1} value`}
                  inputMode="decimal"
                  value={point.value}
                  onChange={(event) => setPoint(index, "value", event.currentTarget.value)}
                  error={shown[`milestone_plan.${index}.value`]}
                  style={{ flex: 1 }}
                />
                <ActionIcon
                  variant="subtle"
                  color="red"
                  mt={26}
                  aria-label={`Remove point ${index + 1}`}
                  onClick={() => set("milestone_plan", draft.milestone_plan.filter((_, i) => i !== index))}
                >
                  <IconTrash size={16} aria-hidden />
                </ActionIcon>
              </Group>
            ))}
          </Stack>
        )}
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
