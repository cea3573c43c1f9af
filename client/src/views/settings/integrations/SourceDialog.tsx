/** Add or edit a data source: HTTP (JSON), CSV or SQL, the key result it feeds and its schedule; "Try the source"
 * pulls once without recording anything, so a wrong path or query shows before saving. */
import {
  Alert,
  Button,
  Group,
  Modal,
  SegmentedControl,
  Select,
  Stack,
  Text,
  Textarea,
  TextInput,
} from "@mantine/core";
import { notifications } from "@mantine/notifications";
import { type FormEvent, useState } from "react";
import type { Schemas } from "../../../api/client";
import { FormProblem } from "../../../components/FormProblem";
import { formatNumber } from "../../../lib/format";
import {
  apiFieldErrors,
  emptySourceDraft,
  integrationChanges,
  integrationCreateBody,
  SCHEDULES,
  type SourceDraft,
  sourceBody,
  sourceDraftOf,
  validateSource,
} from "../../../lib/integrationForm";
import { useCreateIntegration, usePreviewPull, useSqlConnections, useUpdateIntegration } from "../../../queries/integrations";
import { HeadersEditor } from "./HeadersEditor";

type Integration = Schemas["IntegrationPublic"];
type KeyResult = Schemas["KeyResultPublic"];

interface Props {
  integration: Integration | null;
  keyResults: KeyResult[];
  boundKeyResults: Set<string>;
  onClose: () => void;
}

export function SourceDialog({ integration, keyResults, boundKeyResults, onClose }: Props) {
  const [initial] = useState(() => (integration ? sourceDraftOf(integration) : emptySourceDraft()));
  const [draft, setDraft] = useState<SourceDraft>(initial);
  const [checked, setChecked] = useState(false);
  const create = useCreateIntegration();
  const update = useUpdateIntegration();
  const preview = usePreviewPull();
  const connections = useSqlConnections(true);
  const save = integration ? update : create;
  const local = checked ? validateSource(draft) : {};
  const errors = { ...apiFieldErrors(preview.error), ...apiFieldErrors(save.error), ...local };
  const set = <K extends keyof SourceDraft>(key: K, value: SourceDraft[K]) => setDraft((d) => ({ ...d, [key]: value }));

  const tryIt = () => {
    const problems = validateSource(draft, { forPreview: true });
    if (Object.keys(problems).length > 0) {
      setChecked(true);
      return;
    }
    preview.mutate({
      body: { key_result_id: draft.key_result_id, integration_id: integration?.id ?? null, source: sourceBody(draft) },
    });
  };
  const submit = (event: FormEvent) => {
    event.preventDefault();
    setChecked(true);
    if (Object.keys(validateSource(draft)).length > 0) return;
    const saved = () => {
      notifications.show({ color: "teal", message: `${draft.name} saved: its first pull runs within a minute` });
      onClose();
    };
    if (integration) {
      update.mutate(
        { params: { path: { integration_id: integration.id } }, ifMatch: integration, body: integrationChanges(initial, draft) },
        { onSuccess: saved },
      );
    } else {
      create.mutate({ body: integrationCreateBody(draft) }, { onSuccess: saved });
    }
  };

  const krChoices = [...keyResults]
    .sort((a, b) => a.title.localeCompare(b.title))
    .map((kr) => ({
      value: kr.id,
      label: kr.title,
      disabled: boundKeyResults.has(kr.id) && kr.id !== integration?.key_result_id,
    }));
  const connectionChoices = (connections.data?.items ?? []).map((c) => ({ value: c.id, label: `${c.name} (${c.host}/${c.database})` }));
  const type = draft.type;
  return (
    <Modal opened onClose={onClose} title={integration ? `Edit ${integration.name}` : "Add a data source"} size="lg">
      <form onSubmit={submit} noValidate aria-label={integration ? "Edit data source" : "Add a data source"}>
        <FormProblem error={save.error} />
        <Stack gap="sm">
          <TextInput
            label="Label"
            description="Also the source of the check-ins it writes, e.g. crm-pipeline"
            required
            value={draft.name}
            onChange={(e) => set("name", e.currentTarget.value)}
            error={errors.name}
            data-autofocus
          />
          <Select
            label="Key result it feeds"
            required
            searchable
            data={krChoices}
            value={draft.key_result_id || null}
            onChange={(value) => set("key_result_id", value ?? "")}
            error={errors.key_result_id}
            disabled={!!integration}
            nothingFoundMessage="No key result of that name"
          />
          <Select
            label="Schedule"
            data={SCHEDULES}
            value={draft.schedule}
            onChange={(value) => value && set("schedule", value)}
            allowDeselect={false}
            error={errors.schedule}
          />
          <Stack gap={4}>
            <Text size="sm" fw={500} id="source-type-label">
              Source
            </Text>
            <SegmentedControl
              aria-labelledby="source-type-label"
              value={type}
              onChange={(value) => setDraft((d) => ({ ...d, type: value }))}
              data={[
                { value: "json", label: "HTTP (JSON)" },
                { value: "csv", label: "CSV" },
                { value: "sql", label: "SQL" },
              ]}
            />
          </Stack>
          {type === "sql" ? (
            <>
              <Select
                label="SQL connection"
                required
                data={connectionChoices}
                value={draft.connection_id || null}
                onChange={(value) => set("connection_id", value ?? "")}
                error={errors["source.connection_id"]}
                nothingFoundMessage="No SQL connection yet"
              />
              <Textarea
                label="Query"
                description="One read-only SELECT returning one row with one number; $1 is the moment of the pull, $2 and $3 the start and end of the key result's cycle"
                required
                autosize
                minRows={3}
                styles={{ input: { fontFamily: "var(--mantine-font-family-monospace)" } }}
                value={draft.query}
                onChange={(e) => set("query", e.currentTarget.value)}
                error={errors["source.query"]}
              />
            </>
          ) : (
            <>
              <TextInput
                label="URL"
                required
                placeholder={type === "csv" ? "https://docs.google.com/spreadsheets/d/e/…/pub?output=csv" : "https://api.crm.example.com/report"}
                value={draft.url}
                onChange={(e) => set("url", e.currentTarget.value)}
                error={errors["source.url"]}
              />
              {type === "json" ? (
                <TextInput
                  label="JSONPath"
                  description="Selects exactly one value, e.g. $.data.total or $.rows[-1].mqls"
                  required
                  value={draft.json_path}
                  onChange={(e) => set("json_path", e.currentTarget.value)}
                  error={errors["source.json_path"]}
                />
              ) : (
                <CsvFields draft={draft} set={set} errors={errors} />
              )}
              <HeadersEditor
                savedNames={integration?.source.kind === "http" ? integration.source.header_names : []}
                keep={draft.keep_headers}
                headers={draft.headers}
                errors={errors}
                onChange={(keep, headers) => setDraft((d) => ({ ...d, keep_headers: keep, headers }))}
              />
            </>
          )}
          <PreviewResult preview={preview.data} error={preview.error} unit={keyResults.find((kr) => kr.id === draft.key_result_id)?.unit} />
          <Group justify="space-between">
            <Button variant="light" onClick={tryIt} loading={preview.isPending}>
              Try the source
            </Button>
            <Group gap="xs">
              <Button variant="default" onClick={onClose}>
                Cancel
              </Button>
              <Button type="submit" loading={save.isPending}>
                {integration ? "Save changes" : "Add data source"}
              </Button>
            </Group>
          </Group>
        </Stack>
      </form>
    </Modal>
  );
}

function CsvFields({
  draft,
  set,
  errors,
}: {
  draft: SourceDraft;
  set: <K extends keyof SourceDraft>(key: K, value: SourceDraft[K]) => void;
  errors: Record<string, string>;
}) {
  return (
    <>
      <TextInput
        label="Column"
        description="The header of the value's column"
        required
        value={draft.csv_column}
        onChange={(e) => set("csv_column", e.currentTarget.value)}
        error={errors["source.csv_column"]}
      />
      <Select
        label="Row"
        data={[
          { value: "last", label: "The last row" },
          { value: "number", label: "A row number" },
          { value: "match", label: "The row where a column holds a value" },
        ]}
        value={draft.csv_row_mode}
        onChange={(value) => value && set("csv_row_mode", value)}
        allowDeselect={false}
      />
      {draft.csv_row_mode === "number" && (
        <TextInput
          label="Row number"
          description="1 is the first data row; -1 the last"
          inputMode="numeric"
          value={draft.csv_row}
          onChange={(e) => set("csv_row", e.currentTarget.value)}
          error={errors["source.csv_row"]}
        />
      )}
      {draft.csv_row_mode === "match" && (
        <Group grow align="flex-start">
          <TextInput
            label="Match column"
            value={draft.csv_match_column}
            onChange={(e) => set("csv_match_column", e.currentTarget.value)}
            error={errors["source.csv_match_column"]}
          />
          <TextInput
            label="Match value"
            value={draft.csv_match_value}
            onChange={(e) => set("csv_match_value", e.currentTarget.value)}
            error={errors["source.csv_match_value"]}
          />
        </Group>
      )}
    </>
  );
}

function PreviewResult({ preview, error, unit }: { preview?: Schemas["PullPreview"]; error: unknown; unit?: string }) {
  if (error) return <FormProblem error={error} title="Not tried" />;
  if (!preview) return null;
  const suffix = unit ? ` ${unit}` : "";
  if (!preview.ok)
    return (
      <Alert color="red" title="The pull failed" role="status" data-testid="preview-result">
        {preview.error} · {preview.duration_ms} ms. Nothing was recorded.
      </Alert>
    );
  return (
    <Alert color="teal" title="The source answers" role="status" data-testid="preview-result">
      A run now would record {formatNumber(preview.value ?? 0)}
      {suffix}
      {preview.current_value !== null ? ` (the key result is at ${formatNumber(preview.current_value)}${suffix})` : ""} ·{" "}
      {preview.duration_ms} ms. Nothing was recorded.
      {preview.would_skip && (
        <Text size="sm" mt={4}>
          The key result takes no check-in now, so runs are skipped: {preview.would_skip}.
        </Text>
      )}
    </Alert>
  );
}
