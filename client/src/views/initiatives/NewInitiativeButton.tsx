/** A new initiative: title, kind, state, owner and team, dates, planned budget and the key results it moves. */
import { Button, Group, Modal, MultiSelect, Select, Stack, TextInput } from "@mantine/core";
import { useDisclosure } from "@mantine/hooks";
import { notifications } from "@mantine/notifications";
import { type FormEvent, useState } from "react";
import { FormProblem } from "../../components/FormProblem";
import { moneyText } from "../../lib/money";
import { fieldErrors } from "../../lib/problem";
import { useDirectory } from "../../queries/directory";
import { useCreateInitiative } from "../../queries/initiatives";
import { type Kind, KINDS, type State, STATES, useKeyResultOptions } from "./model";

export function NewInitiativeButton() {
  const [opened, { open, close }] = useDisclosure(false);
  const create = useCreateInitiative();
  const directory = useDirectory();
  const keyResults = useKeyResultOptions();
  const [form, setForm] = useState({
    title: "",
    kind: "campaign" as Kind,
    state: "planned" as State,
    owner_id: "",
    team_id: "",
    start_date: "",
    end_date: "",
    planned_budget: "",
    key_result_ids: [] as string[],
  });
  const [errors, setErrors] = useState<Record<string, string>>({});
  const shown = { ...fieldErrors(create.error), ...errors };
  const submit = (event: FormEvent) => {
    event.preventDefault();
    const found: Record<string, string> = {};
    if (!form.title.trim()) found.title = "Name the initiative";
    const budget = form.planned_budget.trim() === "" ? "0" : moneyText(form.planned_budget);
    if (budget === null) found.planned_budget = "An amount such as 12000 or 12,000.50";
    setErrors(found);
    if (Object.keys(found).length > 0 || budget === null) return;
    create.mutate(
      {
        body: {
          title: form.title.trim(),
          kind: form.kind,
          state: form.state,
          owner_id: form.owner_id || null,
          team_id: form.team_id || null,
          start_date: form.start_date || null,
          end_date: form.end_date || null,
          planned_budget: budget,
          key_results: form.key_result_ids.map((id) => ({ key_result_id: id })),
        },
      },
      {
        onSuccess: (initiative) => {
          notifications.show({ color: "teal", message: `${initiative.title} created` });
          create.reset();
          close();
        },
      },
    );
  };
  return (
    <>
      <Button onClick={open}>New initiative</Button>
      <Modal opened={opened} onClose={close} title="New initiative" size="lg">
        <form onSubmit={submit} noValidate aria-label="New initiative">
          <FormProblem error={create.error} />
          <Stack>
            <TextInput label="Title" required value={form.title} onChange={(e) => setForm({ ...form, title: e.currentTarget.value })} error={shown.title} data-autofocus />
            <Group grow align="flex-start">
              <Select label="Kind" data={KINDS} value={form.kind} onChange={(v) => v && setForm({ ...form, kind: v })} allowDeselect={false} />
              <Select label="State" data={STATES} value={form.state} onChange={(v) => v && setForm({ ...form, state: v })} allowDeselect={false} />
            </Group>
            <Group grow align="flex-start">
              <Select
                label="Owner"
                placeholder="You"
                data={directory.members.map((m) => ({ value: m.id, label: m.name }))}
                value={form.owner_id || null}
                onChange={(v) => setForm({ ...form, owner_id: v ?? "" })}
                clearable
                searchable
              />
              <Select
                label="Team"
                placeholder="No team"
                data={directory.teams.map((t) => ({ value: t.id, label: t.name }))}
                value={form.team_id || null}
                onChange={(v) => setForm({ ...form, team_id: v ?? "" })}
                clearable
              />
            </Group>
            <Group grow align="flex-start">
              <TextInput label="Starts" type="date" value={form.start_date} onChange={(e) => setForm({ ...form, start_date: e.currentTarget.value })} error={shown.start_date} />
              <TextInput label="Ends" type="date" value={form.end_date} onChange={(e) => setForm({ ...form, end_date: e.currentTarget.value })} error={shown.end_date} />
              <TextInput label="Planned budget" inputMode="decimal" value={form.planned_budget} onChange={(e) => setForm({ ...form, planned_budget: e.currentTarget.value })} error={shown.planned_budget} />
            </Group>
            <MultiSelect
              label="Key results it moves"
              placeholder={keyResults.length ? "Pick key results of the chosen cycle" : "No key results in the chosen cycle"}
              data={keyResults}
              value={form.key_result_ids}
              onChange={(value) => setForm({ ...form, key_result_ids: value })}
              searchable
              error={shown.key_results}
            />
            <Group justify="flex-end">
              <Button variant="default" onClick={close}>
                Cancel
              </Button>
              <Button type="submit" loading={create.isPending}>
                Create initiative
              </Button>
            </Group>
          </Stack>
        </form>
      </Modal>
    </>
  );
}
