/** One KPI: status, healthy range, the chart of its values with the range drawn, record a value, its history. */
import { Anchor, Badge, Button, Group, Paper, SimpleGrid, Stack, Table, Text, TextInput, Title } from "@mantine/core";
import { notifications } from "@mantine/notifications";
import { lazy, Suspense, useState } from "react";
import { Link, useParams } from "react-router";
import type { Schemas } from "../../api/client";
import { FormProblem } from "../../components/FormProblem";
import { KpiStatusChip } from "../../components/Kpi";
import { EmptyState, Loading, QueryError } from "../../components/QueryState";
import { formatDateTime, formatNumber } from "../../lib/format";
import { healthyRangeText } from "../../lib/kpis";
import { canWrite } from "../../lib/permissions";
import { CADENCE_LABEL } from "../../lib/status";
import { useMe } from "../../queries/auth";
import { useDirectory } from "../../queries/directory";
import { useKpi, useKpiValues, useRecordKpiValue } from "../../queries/planning";
import { ArchiveKpiButton, RestoreKpiButton } from "./KpiArchive";
import { EditKpiButton } from "./KpiForm";

// The chart carries the charting library: loaded with the first KPI page opened, as the objective page's.
const KpiChart = lazy(() => import("../../components/KpiChart").then((module) => ({ default: module.KpiChart })));

function RecordValue({ kpi }: { kpi: Schemas["KpiPublic"] }) {
  const record = useRecordKpiValue();
  const [value, setValue] = useState("");
  const [note, setNote] = useState("");
  const [invalid, setInvalid] = useState(false);
  return (
    <form
      noValidate
      aria-label="Record a value"
      onSubmit={(event) => {
        event.preventDefault();
        const number = Number(value);
        if (value.trim() === "" || !Number.isFinite(number)) return setInvalid(true);
        setInvalid(false);
        void record.mutateAsync({ params: { path: { kpi_id: kpi.id } }, body: { value: number, note } }).then(
          () => {
            notifications.show({ color: "teal", message: "Value recorded" });
            record.reset();
            setValue("");
            setNote("");
          },
          () => undefined,
        );
      }}
    >
      <Group align="flex-end" gap="sm">
        <TextInput
          label={`Value${kpi.unit ? ` (${kpi.unit})` : ""}`}
          inputMode="decimal"
          value={value}
          onChange={(event) => setValue(event.currentTarget.value)}
          error={invalid ? "Enter a number" : undefined}
          w={160}
        />
        <TextInput label="Note" value={note} onChange={(event) => setNote(event.currentTarget.value)} w={220} />
        <Button type="submit" loading={record.isPending}>
          Record value
        </Button>
      </Group>
      <FormProblem error={record.error} title="Not recorded" />
    </form>
  );
}

export function KpiView() {
  const { kpiId = "" } = useParams();
  const kpi = useKpi(kpiId);
  const values = useKpiValues(kpiId);
  const me = useMe();
  const directory = useDirectory();
  if (kpi.error) return <QueryError error={kpi.error} onRetry={() => void kpi.refetch()} />;
  if (kpi.isPending) return <Loading label="Loading the KPI" />;
  const item = kpi.data;
  const writer = canWrite(me.data);
  const writable = writer && !item.archived;
  const unit = item.unit ? ` ${item.unit}` : "";
  const facts = [
    { label: "Latest value", value: item.latest_value === null ? "—" : `${formatNumber(item.latest_value)}${unit}` },
    { label: "Healthy", value: healthyRangeText(item) },
    { label: "Direction", value: item.direction === "higher_is_better" ? "Higher is better" : "Lower is better" },
    { label: "Cadence", value: CADENCE_LABEL[item.cadence] },
    { label: "Owner", value: directory.memberName(item.owner_id) },
    { label: "Team", value: item.team_id ? directory.teamName(item.team_id) : "—" },
  ];
  return (
    <Stack gap="lg">
      <Anchor component={Link} to="/kpis" size="sm">
        ← All KPIs
      </Anchor>
      <Group justify="space-between" align="flex-end">
        <div>
          <Group gap="sm">
            <Title order={1}>{item.name}</Title>
            <KpiStatusChip status={item.status} />
            {item.archived && (
              <Badge variant="outline" color="gray.8">
                Archived
              </Badge>
            )}
          </Group>
          {item.description && (
            <Text c="dimmed" size="sm">
              {item.description}
            </Text>
          )}
        </div>
        {writable && (
          <Group gap="xs">
            <EditKpiButton kpi={item} />
            <ArchiveKpiButton kpi={item} />
          </Group>
        )}
        {writer && item.archived && <RestoreKpiButton kpi={item} />}
      </Group>
      <SimpleGrid cols={{ base: 2, sm: 3, md: 6 }} spacing="xs">
        {facts.map((fact) => (
          <Paper key={fact.label} withBorder p="sm">
            <Text size="xs" c="dimmed">
              {fact.label}
            </Text>
            <Text fw={600} data-testid={`kpi-${fact.label.toLowerCase().replace(" ", "-")}`}>
              {fact.value}
            </Text>
          </Paper>
        ))}
      </SimpleGrid>
      {writable && <RecordValue kpi={item} />}
      <section aria-labelledby="kpi-values">
        <Title order={2} size="h3" id="kpi-values" mb="xs">
          Values over time
        </Title>
        {values.error ? (
          <QueryError error={values.error} onRetry={() => void values.refetch()} />
        ) : values.isPending ? (
          <Loading label="Loading values" />
        ) : values.data.items.length === 0 ? (
          <EmptyState title="No values yet">Record the first value to see the KPI's status.</EmptyState>
        ) : (
          <Stack>
            <Suspense fallback={<Loading label="Loading the chart" />}>
              <KpiChart kpi={item} values={values.data.items} />
            </Suspense>
            <Paper withBorder>
              <Table.ScrollContainer
                minWidth={480}
                scrollAreaProps={{ viewportProps: { tabIndex: 0, role: "region", "aria-label": "Values, scrollable" } }}
              >
                <Table verticalSpacing="xs" aria-label="Values, newest first">
                  <Table.Thead>
                    <Table.Tr>
                      <Table.Th>For</Table.Th>
                      <Table.Th>Value</Table.Th>
                      <Table.Th>Note</Table.Th>
                    </Table.Tr>
                  </Table.Thead>
                  <Table.Tbody>
                    {values.data.items.slice(0, 24).map((value) => (
                      <Table.Tr key={value.id}>
                        <Table.Td>{formatDateTime(value.recorded_at)}</Table.Td>
                        <Table.Td className="num">
                          {formatNumber(value.value)}
                          {unit}
                        </Table.Td>
                        <Table.Td>{value.note || "—"}</Table.Td>
                      </Table.Tr>
                    ))}
                  </Table.Tbody>
                </Table>
              </Table.ScrollContainer>
            </Paper>
          </Stack>
        )}
      </section>
    </Stack>
  );
}
