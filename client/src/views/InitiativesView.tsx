/** Initiatives: the campaigns, programs and projects, their budget and spend, and the key results they serve. */
import {
  Badge,
  Button,
  Checkbox,
  Drawer,
  Group,
  Modal,
  MultiSelect,
  Paper,
  Progress,
  Select,
  SimpleGrid,
  Stack,
  Table,
  Text,
  TextInput,
  Title,
  UnstyledButton,
} from "@mantine/core";
import { useDisclosure } from "@mantine/hooks";
import { IconPencil } from "@tabler/icons-react";
import { notifications } from "@mantine/notifications";
import { type FormEvent, useMemo, useState } from "react";
import type { Schemas } from "../api/client";
import { FormProblem } from "../components/FormProblem";
import { Figure } from "../components/InsightParts";
import { INITIATIVE_KINDS, InitiativeEditor } from "../components/InitiativeEditor";
import { EmptyState, Loading, QueryError } from "../components/QueryState";
import { useCycleChoice } from "../queries/cycleChoice";
import { formatDate } from "../lib/format";
import { money, moneyText, sumMoney } from "../lib/money";
import { canWrite } from "../lib/permissions";
import { fieldErrors } from "../lib/problem";
import { useMe } from "../queries/auth";
import { useDirectory } from "../queries/directory";
import {
  useCreateInitiative,
  useInitiatives,
  useLinkInitiative,
  useRecordSpend,
  useSpendEntries,
  useUpdateInitiative,
} from "../queries/initiatives";
import { useObjectives } from "../queries/okrs";

type Initiative = Schemas["InitiativePublic"];
type State = Initiative["state"];
type Kind = Initiative["kind"];

const STATES: { value: State; label: string; color: string }[] = [
  { value: "planned", label: "Planned", color: "gray.8" },
  { value: "in_progress", label: "In progress", color: "indigo.8" },
  { value: "done", label: "Done", color: "teal.9" },
  { value: "dropped", label: "Dropped", color: "red.9" },
];
const KINDS = INITIATIVE_KINDS;
const stateOf = (state: string) => STATES.find((item) => item.value === state) ?? STATES[0]!;

/** The chosen cycle's key results as select options ("Objective › Key result"). */
function useKeyResultOptions() {
  const { cycle } = useCycleChoice();
  const objectives = useObjectives(cycle ? { cycle_id: cycle.id } : null);
  return useMemo(
    () =>
      (objectives.data?.items ?? []).flatMap((objective) =>
        objective.key_results
          .filter((kr) => !kr.archived)
          .map((kr) => ({ value: kr.id, label: `${objective.title} › ${kr.title}` })),
      ),
    [objectives.data],
  );
}

export function InitiativesView() {
  const me = useMe();
  const writable = canWrite(me.data);
  const currency = me.data?.organisation.settings.currency ?? "EUR";
  const [state, setState] = useState<string | null>(null);
  const [kind, setKind] = useState<string | null>(null);
  const [unaligned, setUnaligned] = useState(false);
  const initiatives = useInitiatives({
    ...(state ? { state: state as State } : {}),
    ...(kind ? { kind: kind as Kind } : {}),
    ...(unaligned ? { linked: false } : {}),
  });
  const directory = useDirectory();
  const [openId, setOpenId] = useState<string | null>(null);
  const items = initiatives.data?.items ?? [];
  const opened = items.find((item) => item.id === openId) ?? null;

  return (
    <Stack gap="lg">
      <Group justify="space-between" align="flex-end">
        <div>
          <Title order={1}>Initiatives</Title>
          <Text c="dimmed" size="sm">
            The work and the money behind the key results. Work linked to no key result is unaligned.
          </Text>
        </div>
        {writable && <NewInitiativeButton />}
      </Group>
      <Group gap="sm" align="flex-end">
        <Select label="State" placeholder="Any state" data={STATES} value={state} onChange={setState} clearable w={160} />
        <Select label="Kind" placeholder="Any kind" data={KINDS} value={kind} onChange={setKind} clearable w={160} />
        <Checkbox label="Only unaligned work" checked={unaligned} onChange={(e) => setUnaligned(e.currentTarget.checked)} mb={8} />
      </Group>
      {initiatives.error ? (
        <QueryError error={initiatives.error} onRetry={() => void initiatives.refetch()} />
      ) : initiatives.isPending ? (
        <Loading label="Loading initiatives" />
      ) : items.length === 0 ? (
        <EmptyState title={state || kind || unaligned ? "Nothing matches these filters" : "No initiatives yet"}>
          Record the campaigns and projects you run, their budget and spend, and link them to the key results they move.
        </EmptyState>
      ) : (
        <>
          <SimpleGrid cols={{ base: 1, xs: 3 }} spacing="xs">
            <Figure label="Planned budget" value={money(sumMoney(items.map((i) => i.planned_budget)), currency)} />
            <Figure label="Spent to date" value={money(sumMoney(items.map((i) => i.actual_spend)), currency)} />
            <Figure
              label="Spend on no key result"
              value={money(sumMoney(items.map((i) => i.unallocated_spend)), currency)}
              testId="unallocated-spend"
            />
          </SimpleGrid>
          <Paper withBorder>
            <Table.ScrollContainer minWidth={760}>
              <Table verticalSpacing="xs" aria-label="Initiatives" data-testid="initiatives">
                <Table.Thead>
                  <Table.Tr>
                    <Table.Th>Initiative</Table.Th>
                    <Table.Th>State</Table.Th>
                    <Table.Th>Owner</Table.Th>
                    <Table.Th>Dates</Table.Th>
                    <Table.Th>Budget · spent</Table.Th>
                    <Table.Th>Key results</Table.Th>
                  </Table.Tr>
                </Table.Thead>
                <Table.Tbody>
                  {items.map((item) => {
                    const planned = Number(item.planned_budget);
                    const spent = Number(item.actual_spend);
                    return (
                      <Table.Tr key={item.id}>
                        <Table.Td>
                          <UnstyledButton onClick={() => setOpenId(item.id)} fw={600} c="indigo.8" td="underline">
                            {item.title}
                          </UnstyledButton>
                          <Text size="xs" c="dimmed">
                            {KINDS.find((k) => k.value === item.kind)?.label} · {directory.teamName(item.team_id)}
                          </Text>
                        </Table.Td>
                        <Table.Td>
                          <Badge variant="outline" color={stateOf(item.state).color}>
                            {stateOf(item.state).label}
                          </Badge>
                        </Table.Td>
                        <Table.Td>{directory.memberName(item.owner_id)}</Table.Td>
                        <Table.Td>
                          <Text size="sm">
                            {item.start_date ? formatDate(item.start_date) : "—"} – {item.end_date ? formatDate(item.end_date) : "—"}
                          </Text>
                        </Table.Td>
                        <Table.Td miw={200}>
                          <Text size="sm" className="num">
                            {money(item.actual_spend, item.currency)} of {money(item.planned_budget, item.currency)}
                          </Text>
                          <Progress
                            value={planned > 0 ? Math.min(100, (spent / planned) * 100) : 0}
                            color={spent > planned && planned > 0 ? "red.9" : "indigo.7"}
                            size="sm"
                            aria-label={`Spent ${money(item.actual_spend, item.currency)} of ${money(item.planned_budget, item.currency)}`}
                          />
                        </Table.Td>
                        <Table.Td>
                          {item.key_results.length === 0 ? (
                            <Badge variant="outline" color="red.9">
                              Unaligned
                            </Badge>
                          ) : (
                            <Text size="sm">{item.key_results.length}</Text>
                          )}
                        </Table.Td>
                      </Table.Tr>
                    );
                  })}
                </Table.Tbody>
              </Table>
            </Table.ScrollContainer>
          </Paper>
        </>
      )}
      <Drawer opened={opened !== null} onClose={() => setOpenId(null)} position="right" size="lg" title={opened?.title}>
        {opened && <InitiativeDetail initiative={opened} writable={writable} />}
      </Drawer>
    </Stack>
  );
}

function NewInitiativeButton() {
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

/** Details (edited with If-Match), state, key-result links (replaced as a whole, with If-Match), spend entries and
 * recording spend. */
function InitiativeDetail({ initiative, writable }: { initiative: Initiative; writable: boolean }) {
  const directory = useDirectory();
  const [editing, setEditing] = useState<Initiative | null>(null);
  const update = useUpdateInitiative();
  const link = useLinkInitiative();
  const spend = useSpendEntries(initiative.id);
  const record = useRecordSpend();
  const options = useKeyResultOptions();
  const [linked, setLinked] = useState(initiative.key_results.map((kr) => kr.key_result_id));
  const [amount, setAmount] = useState("");
  const [spentOn, setSpentOn] = useState("");
  const [note, setNote] = useState("");
  const [amountError, setAmountError] = useState<string | undefined>();
  const known = new Set(options.map((option) => option.value));
  const data = [
    ...options,
    ...initiative.key_results
      .filter((kr) => !known.has(kr.key_result_id))
      .map((kr) => ({ value: kr.key_result_id, label: "A key result of another cycle" })),
  ];

  const submitSpend = (event: FormEvent) => {
    event.preventDefault();
    const text = moneyText(amount);
    setAmountError(text === null ? "An amount such as 1200 or 1,200.50" : undefined);
    if (text === null) return;
    record.mutate(
      {
        params: { path: { initiative_id: initiative.id } },
        body: { amount: text, spent_on: spentOn || null, note: note.trim() },
      },
      {
        onSuccess: () => {
          notifications.show({ color: "teal", message: `Recorded ${money(text, initiative.currency)}` });
          setAmount("");
          setNote("");
          record.reset();
        },
      },
    );
  };

  return (
    <Stack>
      {editing ? (
        <InitiativeEditor
          key={editing.version}
          snapshot={editing}
          latest={initiative}
          onDone={() => setEditing(null)}
          onRebase={setEditing}
        />
      ) : (
        <Stack gap={6} data-testid="initiative-details">
          {initiative.description && <Text size="sm">{initiative.description}</Text>}
          <Text size="sm" c="dimmed">
            {KINDS.find((k) => k.value === initiative.kind)?.label} · {directory.teamName(initiative.team_id)} · owned by{" "}
            {directory.memberName(initiative.owner_id)} ·{" "}
            {initiative.start_date ? formatDate(initiative.start_date) : "no start"} –{" "}
            {initiative.end_date ? formatDate(initiative.end_date) : "no end"}
          </Text>
          <Group gap="xs" justify="space-between" wrap="wrap">
            <Text size="sm">
              {money(initiative.actual_spend, initiative.currency)} spent of{" "}
              {money(initiative.planned_budget, initiative.currency)} · {money(initiative.remaining_budget, initiative.currency)} left
            </Text>
            {writable && (
              <Button size="xs" variant="light" leftSection={<IconPencil size={14} aria-hidden />} onClick={() => setEditing(initiative)}>
                Edit details
              </Button>
            )}
          </Group>
        </Stack>
      )}
      {writable && (
        <Select
          label="State"
          data={STATES}
          value={initiative.state}
          allowDeselect={false}
          onChange={(value) =>
            value &&
            update.mutate({
              params: { path: { initiative_id: initiative.id } },
              ifMatch: initiative,
              body: { state: value },
            })
          }
          error={update.error ? "Not saved: someone changed it meanwhile, or the change is not allowed" : undefined}
        />
      )}
      <Stack gap={4}>
        <MultiSelect
          label="Key results it moves"
          data={data}
          value={linked}
          onChange={setLinked}
          searchable
          disabled={!writable}
          error={fieldErrors(link.error).key_results}
        />
        {writable && (
          <Group justify="flex-end">
            <Button
              size="xs"
              variant="light"
              loading={link.isPending}
              onClick={() =>
                link.mutate(
                  {
                    params: { path: { initiative_id: initiative.id } },
                    ifMatch: initiative,
                    body: { key_results: linked.map((id) => ({ key_result_id: id })) },
                  },
                  { onSuccess: () => notifications.show({ color: "teal", message: "Links saved" }) },
                )
              }
            >
              Save links
            </Button>
          </Group>
        )}
        <FormProblem error={link.error} />
      </Stack>
      {writable && (
        <form onSubmit={submitSpend} noValidate aria-label="Record spend">
          <FormProblem error={record.error} />
          <Group align="flex-start" wrap="wrap" gap="xs">
            <TextInput label="Amount" inputMode="decimal" value={amount} onChange={(e) => setAmount(e.currentTarget.value)} error={amountError ?? fieldErrors(record.error).amount} w={130} />
            <TextInput label="Spent on" type="date" value={spentOn} onChange={(e) => setSpentOn(e.currentTarget.value)} w={160} />
            <TextInput label="Note" value={note} onChange={(e) => setNote(e.currentTarget.value)} style={{ flex: "1 1 140px" }} />
            <Button type="submit" mt={25} loading={record.isPending}>
              Record spend
            </Button>
          </Group>
        </form>
      )}
      <Title order={3} size="h5">
        Spend entries
      </Title>
      {spend.error ? (
        <QueryError error={spend.error} onRetry={() => void spend.refetch()} />
      ) : spend.isPending ? (
        <Loading label="Loading spend" />
      ) : spend.data.items.length === 0 ? (
        <Text size="sm" c="dimmed">
          No spend recorded yet.
        </Text>
      ) : (
        <Table aria-label="Spend entries" data-testid="spend-entries">
          <Table.Thead>
            <Table.Tr>
              <Table.Th>Date</Table.Th>
              <Table.Th>Amount</Table.Th>
              <Table.Th>Note</Table.Th>
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {spend.data.items.map((entry) => (
              <Table.Tr key={entry.id}>
                <Table.Td>{formatDate(entry.spent_on)}</Table.Td>
                <Table.Td className="num">{money(entry.amount, entry.currency)}</Table.Td>
                <Table.Td>
                  {entry.note}
                  {entry.reason && (
                    <Text size="xs" c="dimmed">
                      Reason: {entry.reason}
                    </Text>
                  )}
                </Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      )}
    </Stack>
  );
}
