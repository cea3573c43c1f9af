/** Data sources: each pulls one key result's value on a schedule; its health, last run and error, the run log. */
import { Alert, Badge, Button, Group, Modal, Paper, Stack, Table, Text } from "@mantine/core";
import { notifications } from "@mantine/notifications";
import { useState } from "react";
import type { Schemas } from "../../../api/client";
import { EmptyState, Loading, QueryError } from "../../../components/QueryState";
import { formatDateTime, formatNumber, formatRelative } from "../../../lib/format";
import { SCHEDULES } from "../../../lib/integrationForm";
import { problemMessage } from "../../../lib/problem";
import {
  useAllKeyResults,
  useDeleteIntegration,
  useIntegrations,
  useRunIntegration,
  useRuns,
  useUpdateIntegration,
} from "../../../queries/integrations";
import { SourceDialog } from "./SourceDialog";

type Integration = Schemas["IntegrationPublic"];

const STATUS = {
  pending: { label: "Waiting for its first pull", color: "gray.8" },
  ok: { label: "Working", color: "teal.9" },
  failing: { label: "Failing", color: "red.9" },
  disabled: { label: "Disabled", color: "dark" },
} as const;

export function DataSources() {
  const integrations = useIntegrations(true);
  const keyResults = useAllKeyResults(true);
  const [editing, setEditing] = useState<Integration | "new" | null>(null);
  const [logOf, setLogOf] = useState<Integration | null>(null);
  if (integrations.error) return <QueryError error={integrations.error} onRetry={() => void integrations.refetch()} />;
  if (integrations.isPending || keyResults.isPending) return <Loading label="Loading data sources" />;
  const krs = keyResults.data?.items ?? [];
  const krTitle = new Map(krs.map((kr) => [kr.id, kr.title]));
  const bound = new Set(integrations.data.items.flatMap((item) => (item.key_result_id ? [item.key_result_id] : [])));
  return (
    <Stack gap="sm">
      <Group justify="space-between" wrap="wrap">
        <Text size="sm" c="dimmed" style={{ flex: "1 1 320px" }}>
          Pull a key result's value from a report URL (JSON), a published spreadsheet (CSV) or a database (SQL). Each new
          value is an ordinary check-in.
        </Text>
        <Button onClick={() => setEditing("new")}>Add data source</Button>
      </Group>
      {integrations.data.items.length === 0 ? (
        <EmptyState title="No data sources yet">
          Add one to keep a key result up to date without typing its number.
        </EmptyState>
      ) : (
        integrations.data.items.map((integration) => (
          <SourceCard
            key={integration.id}
            integration={integration}
            keyResultTitle={
              integration.key_result_id ? (krTitle.get(integration.key_result_id) ?? "A key result") : "a KPI"
            }
            // This dialog feeds key results; a KPI's source is edited through the API.
            onEdit={integration.key_result_id ? () => setEditing(integration) : undefined}
            onShowLog={() => setLogOf(integration)}
          />
        ))
      )}
      {editing && (
        <SourceDialog
          integration={editing === "new" ? null : editing}
          keyResults={krs}
          boundKeyResults={bound}
          onClose={() => setEditing(null)}
        />
      )}
      {logOf && <RunLog integration={logOf} onClose={() => setLogOf(null)} />}
    </Stack>
  );
}

function sourceSummary(source: Integration["source"]): string {
  if (source.kind === "sql") return "SQL query";
  if (source.format === "csv") return `CSV · column ${source.csv_column ?? ""}`;
  return `JSON · ${source.json_path ?? ""}`;
}

function SourceCard({
  integration,
  keyResultTitle,
  onEdit,
  onShowLog,
}: {
  integration: Integration;
  keyResultTitle: string;
  onEdit?: () => void;
  onShowLog: () => void;
}) {
  const run = useRunIntegration();
  const update = useUpdateIntegration();
  const remove = useDeleteIntegration();
  const status = STATUS[integration.status];
  const fail = (title: string) => (error: unknown) => notifications.show({ color: "red", title, message: problemMessage(error) });
  const schedule = SCHEDULES.find((item) => item.value === integration.schedule)?.label ?? integration.schedule;
  return (
    <Paper withBorder p="md" component="article" aria-label={`Data source ${integration.name}`} data-testid="data-source">
      <Stack gap="xs">
        <Group justify="space-between" wrap="wrap" align="flex-start">
          <Stack gap={2} style={{ minWidth: 0, flex: "1 1 260px" }}>
            <Text fw={600}>{integration.name}</Text>
            <Text size="sm">Feeds {keyResultTitle}</Text>
            <Text size="xs" c="dimmed" style={{ wordBreak: "break-all" }}>
              {sourceSummary(integration.source)}
              {integration.source.kind === "http" ? ` · ${integration.source.url}` : ""} · {schedule}
            </Text>
          </Stack>
          <Badge variant="outline" color={status.color}>
            {status.label}
          </Badge>
        </Group>
        <Text size="sm" data-testid="last-run">
          Last run {formatRelative(integration.last_run_at)}
          {integration.last_value !== null ? ` · last value ${formatNumber(integration.last_value)}` : ""}
          {integration.next_run_at ? ` · next ${formatDateTime(integration.next_run_at)}` : ""}
        </Text>
        {integration.last_error && (
          <Alert color="red" variant="light" p="xs" title={`Failing since ${formatDateTime(integration.failing_since)}`}>
            {integration.last_error}
            {integration.consecutive_failures > 1 ? ` (${integration.consecutive_failures} failures in a row)` : ""}
          </Alert>
        )}
        {run.data && (
          <Alert color={run.data.outcome === "failed" ? "red" : "teal"} p="xs" role="status" data-testid="run-result">
            Run {run.data.outcome}
            {run.data.value !== null ? `: ${formatNumber(run.data.value)}` : ""}
            {run.data.error ? ` · ${run.data.error}` : ""}
          </Alert>
        )}
        <Group gap="xs">
          <Button
            size="xs"
            variant="light"
            loading={run.isPending}
            onClick={() => run.mutate({ params: { path: { integration_id: integration.id } } }, { onError: fail("Not run") })}
          >
            Run now
          </Button>
          <Button size="xs" variant="default" onClick={onShowLog}>
            Run log
          </Button>
          {onEdit && (
            <Button size="xs" variant="default" onClick={onEdit}>
              Edit<span className="visually-hidden-label"> {integration.name}</span>
            </Button>
          )}
          <Button
            size="xs"
            variant="default"
            loading={update.isPending}
            onClick={() =>
              update.mutate(
                {
                  params: { path: { integration_id: integration.id } },
                  ifMatch: integration,
                  body: { enabled: !integration.enabled },
                },
                { onError: fail("Not changed") },
              )
            }
          >
            {integration.enabled ? "Disable" : "Enable"}
          </Button>
          <Button
            size="xs"
            variant="subtle"
            color="red"
            loading={remove.isPending}
            onClick={() =>
              remove.mutate(
                { params: { path: { integration_id: integration.id } }, ifMatch: integration },
                { onError: fail("Not deleted") },
              )
            }
          >
            Delete<span className="visually-hidden-label"> {integration.name}</span>
          </Button>
        </Group>
      </Stack>
    </Paper>
  );
}

function RunLog({ integration, onClose }: { integration: Integration; onClose: () => void }) {
  const runs = useRuns(integration.id);
  return (
    <Modal opened onClose={onClose} title={`Run log of ${integration.name}`} size="xl">
      {runs.error ? (
        <QueryError error={runs.error} onRetry={() => void runs.refetch()} />
      ) : runs.isPending ? (
        <Loading label="Loading runs" />
      ) : runs.data.items.length === 0 ? (
        <Text size="sm" c="dimmed">
          No run yet.
        </Text>
      ) : (
        <Table.ScrollContainer
          minWidth={560}
          scrollAreaProps={{ viewportProps: { tabIndex: 0, role: "region", "aria-label": "Runs, scrollable" } }}
        >
          <Table aria-label="Runs" data-testid="runs" verticalSpacing={4}>
            <Table.Thead>
              <Table.Tr>
                <Table.Th>When</Table.Th>
                <Table.Th>Outcome</Table.Th>
                <Table.Th>Value</Table.Th>
                <Table.Th>Trigger</Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {runs.data.items.map((item) => (
                <Table.Tr key={item.id}>
                  <Table.Td>{formatDateTime(item.started_at)}</Table.Td>
                  <Table.Td>
                    {item.outcome}
                    {item.error && (
                      <Text size="xs" c="red.9">
                        {item.error}
                      </Text>
                    )}
                  </Table.Td>
                  <Table.Td className="num">{item.value !== null ? formatNumber(item.value) : "—"}</Table.Td>
                  <Table.Td>
                    {item.trigger === "manual" ? "by hand" : "scheduled"} · {item.duration_ms} ms
                  </Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        </Table.ScrollContainer>
      )}
    </Modal>
  );
}
