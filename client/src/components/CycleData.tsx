/**
 * A cycle's data in and out (Settings → Cycles): the export as a zip of CSVs or one JSON document, and the CSV import
 * (all or nothing; a refused import lists each bad cell by file, row and column).
 */
import { Alert, Button, Code, FileInput, Group, List, Menu, Modal, Stack, Table, Text } from "@mantine/core";
import { useDisclosure } from "@mantine/hooks";
import { notifications } from "@mantine/notifications";
import { IconChevronDown, IconDownload, IconUpload } from "@tabler/icons-react";
import { type FormEvent, useEffect, useRef, useState } from "react";
import type { Schemas } from "../api/client";
import { IMPORT_FILES, type ImportField, importProblems, importSummary } from "../lib/cycleData";
import { isProblem, problemMessage } from "../lib/problem";
import { type ExportFormat, useExportCycle, useImportCycle } from "../queries/insights";
import { FormProblem } from "./FormProblem";

type Cycle = Schemas["CyclePublic"];

/** Hand a downloaded file to the browser's save mechanism. */
function saveFile(blob: Blob, fileName: string): void {
  const url = URL.createObjectURL(blob);
  const link = document.createElement("a");
  link.href = url;
  link.download = fileName;
  link.style.display = "none";
  document.body.append(link);
  link.click();
  link.remove();
  // The download has started from the URL; release it once the click has been handled.
  window.setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

export function CycleExportMenu({ cycle }: { cycle: Cycle }) {
  const exporting = useExportCycle();
  const download = (format: ExportFormat) =>
    exporting.mutate(
      { cycleId: cycle.id, format },
      {
        onSuccess: ({ blob, fileName }) => saveFile(blob, fileName),
        onError: (error) => notifications.show({ color: "red", title: "Export failed", message: problemMessage(error) }),
      },
    );
  return (
    <Menu position="bottom-end" withinPortal>
      <Menu.Target>
        <Button
          size="compact-xs"
          variant="subtle"
          loading={exporting.isPending}
          leftSection={<IconDownload size={14} aria-hidden />}
          rightSection={<IconChevronDown size={12} aria-hidden />}
        >
          Export<span className="visually-hidden-label"> {cycle.name}</span>
        </Button>
      </Menu.Target>
      <Menu.Dropdown>
        <Menu.Item onClick={() => download("csv")}>CSV files (zip)</Menu.Item>
        <Menu.Item onClick={() => download("json")}>JSON</Menu.Item>
      </Menu.Dropdown>
    </Menu>
  );
}

const EMPTY_FILES: Record<ImportField, File | null> = { objectives_csv: null, key_results_csv: null, check_ins_csv: null };

export function CycleImportButton({ cycle }: { cycle: Cycle }) {
  const [opened, { open, close }] = useDisclosure(false);
  return (
    <>
      <Button size="compact-xs" variant="subtle" leftSection={<IconUpload size={14} aria-hidden />} onClick={open}>
        Import<span className="visually-hidden-label"> into {cycle.name}</span>
      </Button>
      {opened && <CycleImportDialog cycle={cycle} onClose={close} />}
    </>
  );
}

function CycleImportDialog({ cycle, onClose }: { cycle: Cycle; onClose: () => void }) {
  const importing = useImportCycle();
  const [files, setFiles] = useState(EMPTY_FILES);
  const [missing, setMissing] = useState(false);
  const [readError, setReadError] = useState<string | null>(null);
  const [result, setResult] = useState<Schemas["CycleImportResult"] | null>(null);
  const problems = importProblems(importing.error);
  const problemsRef = useRef<HTMLDivElement>(null);
  // The list of problems sits below the file pickers: bring it into view when an import is refused.
  useEffect(() => {
    if (importing.isError) problemsRef.current?.scrollIntoView?.({ block: "nearest" });
  }, [importing.isError]);

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setMissing(!files.key_results_csv);
    if (!files.key_results_csv) return;
    setReadError(null);
    let body: Schemas["CycleImport"];
    try {
      // Read in the browser and sent as text: the API takes the files' contents in one JSON body.
      body = {
        key_results_csv: await files.key_results_csv.text(),
        objectives_csv: files.objectives_csv ? await files.objectives_csv.text() : null,
        check_ins_csv: files.check_ins_csv ? await files.check_ins_csv.text() : null,
      };
    } catch (error) {
      setReadError(`A file could not be read: ${error instanceof Error ? error.message : String(error)}`);
      return;
    }
    importing.mutate(
      { params: { path: { cycle_id: cycle.id } }, body },
      { onSuccess: setResult },
    );
  };

  const choose = (field: ImportField, file: File | null) => {
    setFiles((current) => ({ ...current, [field]: file }));
    importing.reset();
  };

  return (
    <Modal opened onClose={onClose} title={`Import into ${cycle.name}`} size="lg">
      {result ? (
        <Stack>
          <Alert color="teal" title="Imported" role="status" data-testid="import-result">
            Created {importSummary(result)} in {cycle.name}.
          </Alert>
          <Button onClick={onClose} style={{ alignSelf: "flex-end" }}>
            Done
          </Button>
        </Stack>
      ) : (
        <form onSubmit={(event) => void submit(event)} noValidate aria-label="Import CSV files">
          <Stack>
            <Text size="sm">
              CSV files with the export's column names (an export imports as it is; a spreadsheet needs only the columns
              it uses). Everything is checked first: one bad cell and nothing is imported.
            </Text>
            <List size="xs" spacing={2} c="dimmed" data-testid="import-hint">
              <List.Item>
                Key results: <Code>title</Code>, <Code>target_value</Code>, and the objective by <Code>objective_id</Code>{" "}
                (a row of the objectives file) or <Code>objective</Code> (a title); optional <Code>owner_email</Code>,{" "}
                <Code>start_value</Code>, <Code>stretch_value</Code>, <Code>previous_value</Code>, <Code>unit</Code>,{" "}
                <Code>metric</Code>…
              </List.Item>
              <List.Item>
                Objectives: <Code>title</Code>; optional <Code>id</Code>, <Code>level</Code>, <Code>team</Code> (a team
                name), <Code>owner_email</Code>, <Code>kind</Code>.
              </List.Item>
              <List.Item>
                Check-ins: <Code>key_result_id</Code>, <Code>value</Code>, <Code>checked_in_at</Code> (ISO 8601 with
                offset, inside the cycle); optional <Code>confidence</Code>, <Code>note</Code>, <Code>corrects</Code>,{" "}
                <Code>reason</Code>.
              </List.Item>
              <List.Item>
                The <Code>id</Code> columns only link rows between the files (any text, e.g. <Code>KR1</Code>); new rows
                get new ids. Teams and people are matched by name and email.
              </List.Item>
            </List>
            {IMPORT_FILES.map((item) => (
              <FileInput
                key={item.field}
                label={`${item.label} CSV`}
                description={item.field === "key_results_csv" ? `e.g. ${item.file}` : `Optional, e.g. ${item.file}`}
                placeholder="Choose a file"
                accept=".csv,text/csv"
                required={item.field === "key_results_csv"}
                clearable
                clearButtonProps={{ "aria-label": `Remove the ${item.label.toLowerCase()} file` }}
                value={files[item.field]}
                onChange={(file) => choose(item.field, file)}
                error={item.field === "key_results_csv" && missing && !files.key_results_csv ? "Choose the key results file" : undefined}
              />
            ))}
            {readError && (
              <Alert color="red" role="alert" title="Not imported">
                {readError}
              </Alert>
            )}
            {problems.length > 0 ? (
              <Alert color="red" role="alert" title="Nothing was imported" data-testid="import-errors" ref={problemsRef}>
                <Text size="sm" mb="xs">
                  {isProblem(importing.error) ? importing.error.detail : ""}. Rows are numbered as in a spreadsheet (the header
                  is row 1).
                </Text>
                <Table.ScrollContainer
                  minWidth={420}
                  mah={260}
                  scrollAreaProps={{ viewportProps: { tabIndex: 0, role: "region", "aria-label": "Import problems, scrollable" } }}
                >
                  <Table withTableBorder={false} verticalSpacing={4} fz="sm" aria-label="Import problems">
                    <Table.Thead>
                      <Table.Tr>
                        <Table.Th>File</Table.Th>
                        <Table.Th>Row</Table.Th>
                        <Table.Th>Column</Table.Th>
                        <Table.Th>Problem</Table.Th>
                      </Table.Tr>
                    </Table.Thead>
                    <Table.Tbody>
                      {problems.map((problem, index) => (
                        <Table.Tr key={`${problem.field}-${problem.row}-${problem.column}-${index}`}>
                          <Table.Td>{problem.file}</Table.Td>
                          <Table.Td className="num">{problem.row ?? "—"}</Table.Td>
                          <Table.Td>{problem.column ? <Code>{problem.column}</Code> : "—"}</Table.Td>
                          <Table.Td>{problem.message}</Table.Td>
                        </Table.Tr>
                      ))}
                    </Table.Tbody>
                  </Table>
                </Table.ScrollContainer>
              </Alert>
            ) : (
              <FormProblem error={importing.error} title="Not imported" />
            )}
            <Group justify="flex-end" gap="xs">
              <Button variant="default" onClick={onClose}>
                Cancel
              </Button>
              <Button type="submit" loading={importing.isPending}>
                Import
              </Button>
            </Group>
          </Stack>
        </form>
      )}
    </Modal>
  );
}
