/** Cycles: create, move forward planning → active → closed, export a cycle (CSV zip, JSON) and import CSV into it. */
import { Badge, Button, Group, Paper, Stack, Table, Text } from "@mantine/core";
import { notifications } from "@mantine/notifications";
import { Link } from "react-router";
import type { Schemas } from "../../api/client";
import { CycleExportMenu, CycleImportButton } from "../../components/CycleData";
import { NewCycleButton } from "../../components/NewCycleButton";
import { EmptyState, Loading, QueryError } from "../../components/QueryState";
import { rememberCycle } from "../../queries/cycleChoice";
import { formatDate } from "../../lib/format";
import { canWrite } from "../../lib/permissions";
import { problemMessage } from "../../lib/problem";
import { useMe } from "../../queries/auth";
import { useCloseCycle, useCycles, useUpdateCycle } from "../../queries/okrs";

const NEXT_STATE = { planning: "active", active: "closed" } as const;
const STATE_COLOR = { planning: "gray.8", active: "teal.9", closed: "dark" } as const;

export function CyclesSettings() {
  const cycles = useCycles();
  const me = useMe();
  const update = useUpdateCycle();
  const close = useCloseCycle();
  const writable = canWrite(me.data);
  if (cycles.error) return <QueryError error={cycles.error} onRetry={() => void cycles.refetch()} />;
  if (cycles.isPending) return <Loading label="Loading cycles" />;
  const items = [...cycles.data.items].sort((a, b) => b.start_date.localeCompare(a.start_date));
  const names = new Map(items.map((cycle) => [cycle.id, cycle.name]));
  const feedback = (cycle: Schemas["CyclePublic"], state: string) => ({
    onSuccess: () => notifications.show({ color: "teal", message: `${cycle.name} is now ${state}` }),
    onError: (error: unknown) =>
      notifications.show({ color: "red", title: "Not changed", message: problemMessage(error) }),
  });
  const advance = (cycle: Schemas["CyclePublic"], state: "active" | "closed") =>
    state === "closed"
      ? close.mutate({ params: { path: { cycle_id: cycle.id } } }, feedback(cycle, state))
      : update.mutate(
          { params: { path: { cycle_id: cycle.id } }, ifMatch: cycle, body: { state } },
          feedback(cycle, state),
        );
  return (
    <Stack>
      <Group justify="space-between">
        <Text size="sm" c="dimmed">
          Years and their quarters; objectives live in one cycle. Export a cycle as CSV files (zip) or JSON; import
          objectives, key results and check-ins from CSV into a cycle that is not closed.
        </Text>
        {writable && <NewCycleButton />}
      </Group>
      {items.length === 0 ? (
        <EmptyState title="No cycles yet">Create the year or quarter your objectives cover.</EmptyState>
      ) : (
        <Paper withBorder>
          <Table.ScrollContainer minWidth={720}>
            <Table verticalSpacing="xs" aria-label="Cycles">
              <Table.Thead>
                <Table.Tr>
                  <Table.Th>Cycle</Table.Th>
                  <Table.Th>Dates</Table.Th>
                  <Table.Th>Part of</Table.Th>
                  <Table.Th>State</Table.Th>
                  <Table.Th>Actions</Table.Th>
                </Table.Tr>
              </Table.Thead>
              <Table.Tbody>
                {items.map((cycle) => {
                  const next = cycle.state === "closed" ? null : NEXT_STATE[cycle.state];
                  return (
                    <Table.Tr key={cycle.id}>
                      <Table.Td>{cycle.name}</Table.Td>
                      <Table.Td>
                        {formatDate(cycle.start_date)} – {formatDate(cycle.end_date)}
                      </Table.Td>
                      <Table.Td>{cycle.parent_id ? names.get(cycle.parent_id) : "—"}</Table.Td>
                      <Table.Td>
                        <Badge variant="outline" color={STATE_COLOR[cycle.state]}>
                          {cycle.state}
                        </Badge>
                      </Table.Td>
                      <Table.Td>
                        <Group gap={4} wrap="nowrap">
                          {writable && next && (
                            <Button size="compact-xs" variant="subtle" onClick={() => advance(cycle, next)}>
                              {next === "active" ? "Activate" : "Close"}
                              <span className="visually-hidden-label"> {cycle.name}</span>
                            </Button>
                          )}
                          {cycle.state === "planning" && (
                            <Button component={Link} to={`/cycles/${cycle.id}/plan`} size="compact-xs" variant="subtle">
                              Plan<span className="visually-hidden-label"> {cycle.name}</span>
                            </Button>
                          )}
                          {cycle.state === "closed" && (
                            <Button
                              component={Link}
                              to="/retrospective"
                              onClick={() => rememberCycle(cycle.id)}
                              size="compact-xs"
                              variant="subtle"
                            >
                              Retrospective<span className="visually-hidden-label"> of {cycle.name}</span>
                            </Button>
                          )}
                          <CycleExportMenu cycle={cycle} />
                          {/* A closed cycle is frozen: the API refuses an import into it. */}
                          {writable && cycle.state !== "closed" && <CycleImportButton cycle={cycle} />}
                        </Group>
                      </Table.Td>
                    </Table.Tr>
                  );
                })}
              </Table.Tbody>
            </Table>
          </Table.ScrollContainer>
        </Paper>
      )}
    </Stack>
  );
}
