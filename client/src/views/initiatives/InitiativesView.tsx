/** Initiatives: the campaigns, programs and projects, their budget and spend, and the key results they serve. */
import {
  Anchor,
  Badge,
  Checkbox,
  Drawer,
  Group,
  Paper,
  Progress,
  Select,
  SimpleGrid,
  Stack,
  Table,
  Text,
  Title,
  UnstyledButton,
} from "@mantine/core";
import { useState } from "react";
import { Link } from "react-router";
import { Figure } from "../../components/InsightParts";
import { EmptyState, Loading, QueryError } from "../../components/QueryState";
import { formatDate } from "../../lib/format";
import { money, sumMoney } from "../../lib/money";
import { canWrite } from "../../lib/permissions";
import { useMe } from "../../queries/auth";
import { useDirectory } from "../../queries/directory";
import { useInitiatives } from "../../queries/initiatives";
import { type Kind, KINDS, type State, STATES, stateOf } from "./model";
import { InitiativeDetail } from "./InitiativeDetail";
import { NewInitiativeButton } from "./NewInitiativeButton";

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
                          {/* Its full width: a narrow column would cut the state to "IN PROGRE…". */}
                          <Badge variant="outline" color={stateOf(item.state).color} miw="max-content">
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
                            <Stack gap={2} data-testid="initiative-key-results">
                              {item.key_results.map((kr) => (
                                <Anchor key={kr.key_result_id} component={Link} to={`/objectives/${kr.objective_id}`} size="sm" lineClamp={2} title={kr.objective_title}>
                                  {kr.key_result_title}
                                </Anchor>
                              ))}
                            </Stack>
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
