/** One initiative in the drawer. */
import { Button, Group, MultiSelect, Select, Stack, Table, Text, TextInput, Title } from "@mantine/core";
import { IconPencil } from "@tabler/icons-react";
import { notifications } from "@mantine/notifications";
import { type FormEvent, useState } from "react";
import { FormProblem } from "../../components/FormProblem";
import { InitiativeEditor } from "../../components/InitiativeEditor";
import { Loading, QueryError } from "../../components/QueryState";
import { formatDate } from "../../lib/format";
import { money, moneyText } from "../../lib/money";
import { fieldErrors } from "../../lib/problem";
import { useDirectory } from "../../queries/directory";
import { useLinkInitiative, useRecordSpend, useSpendEntries, useUpdateInitiative } from "../../queries/initiatives";
import { BudgetPacing, KeyResultTrace } from "./InitiativeTrace";
import { type Initiative, KINDS, STATES, useKeyResultOptions } from "./model";

/** Details (edited with If-Match), state, key-result links (replaced as a whole, with If-Match), spend entries and
 * recording spend. */
export function InitiativeDetail({ initiative, writable }: { initiative: Initiative; writable: boolean }) {
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
      .map((kr) => ({ value: kr.key_result_id, label: `${kr.key_result_title} (another cycle)` })),
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
      <BudgetPacing initiative={initiative} />
      <Title order={3} size="h5">
        What it moves, up to the company
      </Title>
      <KeyResultTrace initiative={initiative} />
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
