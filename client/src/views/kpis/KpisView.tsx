/** KPIs: every KPI with its latest value, healthy range and status chip; writers create new ones. */
import { Anchor, Badge, Group, Paper, Stack, Switch, Table, Text, Title } from "@mantine/core";
import { useState } from "react";
import { Link } from "react-router";
import { KpiStatusChip } from "../../components/Kpi";
import { EmptyState, Loading, QueryError } from "../../components/QueryState";
import { formatDateTime, formatNumber } from "../../lib/format";
import { healthyRangeText } from "../../lib/kpis";
import { canWrite } from "../../lib/permissions";
import { useMe } from "../../queries/auth";
import { useDirectory } from "../../queries/directory";
import { useKpis } from "../../queries/planning";
import { NewKpiButton } from "./KpiForm";

export function KpisView() {
  const [showArchived, setShowArchived] = useState(false);
  const kpis = useKpis(showArchived);
  const me = useMe();
  const directory = useDirectory();
  const writable = canWrite(me.data);
  const header = (
    <Group justify="space-between" align="flex-end">
      <div>
        <Title order={1}>KPIs</Title>
        <Text c="dimmed" size="sm">
          Metrics tracked all the time, outside cycles, each with its healthy range.
        </Text>
      </div>
      {writable && <NewKpiButton />}
    </Group>
  );
  if (kpis.error) return <QueryError error={kpis.error} onRetry={() => void kpis.refetch()} />;
  if (kpis.isPending) return <Loading label="Loading KPIs" />;
  const items = kpis.data.items;
  return (
    <Stack>
      {header}
      <Switch
        label="Show archived KPIs"
        checked={showArchived}
        onChange={(event) => setShowArchived(event.currentTarget.checked)}
      />
      {items.length === 0 ? (
        <EmptyState title={showArchived ? "No KPIs yet" : "No active KPIs yet"}>
          Add the metrics marketing runs on — pipeline, CAC, MQL volume — with the range that counts as healthy.
        </EmptyState>
      ) : (
        <Paper withBorder>
          <Table.ScrollContainer minWidth={720}>
            <Table verticalSpacing="xs" aria-label="KPIs">
              <Table.Thead>
                <Table.Tr>
                  <Table.Th>KPI</Table.Th>
                  <Table.Th>Status</Table.Th>
                  <Table.Th>Latest value</Table.Th>
                  <Table.Th>Healthy</Table.Th>
                  <Table.Th>Owner</Table.Th>
                  <Table.Th>Team</Table.Th>
                </Table.Tr>
              </Table.Thead>
              <Table.Tbody>
                {items.map((kpi) => (
                  <Table.Tr key={kpi.id} data-kpi={kpi.name}>
                    <Table.Td>
                      <Anchor component={Link} to={`/kpis/${kpi.id}`}>
                        {kpi.name}
                      </Anchor>
                      {kpi.archived && (
                        <Badge variant="outline" color="gray.8" ml="xs" size="sm">
                          Archived
                        </Badge>
                      )}
                    </Table.Td>
                    <Table.Td>
                      <KpiStatusChip status={kpi.status} />
                    </Table.Td>
                    <Table.Td className="num">
                      {kpi.latest_value === null ? "—" : `${formatNumber(kpi.latest_value)} ${kpi.unit}`}
                      {kpi.latest_recorded_at && (
                        <Text size="xs" c="dimmed">
                          {formatDateTime(kpi.latest_recorded_at)}
                        </Text>
                      )}
                    </Table.Td>
                    <Table.Td>{healthyRangeText(kpi)}</Table.Td>
                    <Table.Td>{directory.memberName(kpi.owner_id)}</Table.Td>
                    <Table.Td>{kpi.team_id ? directory.teamName(kpi.team_id) : "—"}</Table.Td>
                  </Table.Tr>
                ))}
              </Table.Tbody>
            </Table>
          </Table.ScrollContainer>
        </Paper>
      )}
    </Stack>
  );
}
