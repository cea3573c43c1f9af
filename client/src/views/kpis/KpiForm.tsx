/** Create or edit a KPI in a dialog: name, unit, direction, team, cadence and its healthy and critical range. */
import { Button, Group, Modal, NativeSelect, SimpleGrid, Stack, Textarea, TextInput } from "@mantine/core";
import { useDisclosure } from "@mantine/hooks";
import { notifications } from "@mantine/notifications";
import { useState } from "react";
import { useNavigate } from "react-router";
import type { Schemas } from "../../api/client";
import { FormProblem } from "../../components/FormProblem";
import { type KpiDraft, kpiBody, kpiDraft, kpiDraftErrors } from "../../lib/kpis";
import { fieldErrors } from "../../lib/problem";
import { CADENCE_LABEL } from "../../lib/status";
import { useDirectory } from "../../queries/directory";
import { useCreateKpi, useUpdateKpi } from "../../queries/planning";

function KpiFields({
  kpi,
  submitting,
  error,
  onSubmit,
  onCancel,
}: {
  kpi?: Schemas["KpiPublic"];
  submitting: boolean;
  error: unknown;
  onSubmit: (draft: KpiDraft) => void;
  onCancel: () => void;
}) {
  const directory = useDirectory();
  const [draft, setDraft] = useState(() => kpiDraft(kpi));
  const [errors, setErrors] = useState<Record<string, string>>({});
  const server = fieldErrors(error);
  const set = (key: keyof KpiDraft) => (value: string) => setDraft({ ...draft, [key]: value });
  const text = (key: keyof KpiDraft, label: string, extra: { required?: boolean; inputMode?: "decimal" } = {}) => (
    <TextInput
      label={label}
      value={String(draft[key] ?? "")}
      onChange={(event) => set(key)(event.currentTarget.value)}
      error={errors[key] ?? server[`body.${key}`]}
      {...extra}
    />
  );
  return (
    <form
      noValidate
      onSubmit={(event) => {
        event.preventDefault();
        const found = kpiDraftErrors(draft);
        setErrors(found);
        if (Object.keys(found).length === 0) onSubmit(draft);
      }}
    >
      <Stack gap="sm">
        {text("name", "Name", { required: true })}
        <Textarea label="Description" value={draft.description} onChange={(e) => set("description")(e.currentTarget.value)} />
        <SimpleGrid cols={{ base: 1, xs: 2 }} spacing="sm">
          {text("unit", "Unit")}
          <NativeSelect
            label="Direction"
            value={draft.direction}
            onChange={(e) => set("direction")(e.currentTarget.value)}
            data={[
              { value: "higher_is_better", label: "Higher is better" },
              { value: "lower_is_better", label: "Lower is better" },
            ]}
          />
          <NativeSelect
            label="Team"
            value={draft.team_id ?? ""}
            onChange={(e) => setDraft({ ...draft, team_id: e.currentTarget.value || null })}
            data={[{ value: "", label: "No team" }, ...directory.teams.map((t) => ({ value: t.id, label: t.name }))]}
          />
          <NativeSelect
            label="Cadence"
            value={draft.cadence}
            onChange={(e) => set("cadence")(e.currentTarget.value)}
            data={Object.entries(CADENCE_LABEL).map(([value, label]) => ({ value, label }))}
          />
          {text("healthy_min", "Healthy from", { inputMode: "decimal" })}
          {text("healthy_max", "Healthy up to", { inputMode: "decimal" })}
          {text("critical_min", "Critical below", { inputMode: "decimal" })}
          {text("critical_max", "Critical above", { inputMode: "decimal" })}
        </SimpleGrid>
        <FormProblem error={error} />
        <Group justify="flex-end">
          <Button variant="default" onClick={onCancel}>
            Cancel
          </Button>
          <Button type="submit" loading={submitting}>
            {kpi ? "Save KPI" : "Create KPI"}
          </Button>
        </Group>
      </Stack>
    </form>
  );
}

export function NewKpiButton() {
  const [opened, { open, close }] = useDisclosure(false);
  const create = useCreateKpi();
  const navigate = useNavigate();
  return (
    <>
      <Button onClick={open}>New KPI</Button>
      <Modal opened={opened} onClose={close} title="New KPI" size="lg">
        <KpiFields
          submitting={create.isPending}
          error={create.error}
          onCancel={close}
          onSubmit={(draft) =>
            void create.mutateAsync({ body: kpiBody(draft) }).then(
              (kpi) => {
                notifications.show({ color: "teal", message: "KPI created" });
                create.reset();
                close();
                void navigate(`/kpis/${kpi.id}`);
              },
              () => undefined,
            )
          }
        />
      </Modal>
    </>
  );
}

export function EditKpiButton({ kpi }: { kpi: Schemas["KpiPublic"] }) {
  const [opened, { open, close }] = useDisclosure(false);
  const update = useUpdateKpi();
  return (
    <>
      <Button variant="default" onClick={open}>
        Edit KPI
      </Button>
      <Modal opened={opened} onClose={close} title={`Edit ${kpi.name}`} size="lg">
        {opened && (
          <KpiFields
            kpi={kpi}
            submitting={update.isPending}
            error={update.error}
            onCancel={close}
            onSubmit={(draft) =>
              void update
                .mutateAsync({ params: { path: { kpi_id: kpi.id } }, ifMatch: kpi, body: kpiBody(draft) })
                .then(
                  () => {
                    notifications.show({ color: "teal", message: "KPI saved" });
                    update.reset();
                    close();
                  },
                  () => undefined,
                )
            }
          />
        )}
      </Modal>
    </>
  );
}
