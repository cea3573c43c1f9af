/** A key result's check-ins, newest first: corrections, corrected values and backdating are marked, never hidden. */
import { Badge, Button, Group, Modal, Stack, Table, Text, Textarea, TextInput } from "@mantine/core";
import { useDisclosure } from "@mantine/hooks";
import { type FormEvent, useState } from "react";
import type { Schemas } from "../api/client";
import { formatConfidence, formatDateTime, formatKeyResultValue } from "../lib/format";
import { fieldErrors } from "../lib/problem";
import { parseNumber } from "../lib/validation";
import { useCreateCheckIn } from "../queries/okrs";
import { FormProblem } from "./FormProblem";

export function CheckInHistory({
  keyResult,
  checkIns,
  currency,
  memberName,
  canWrite,
}: {
  keyResult: Schemas["KeyResultPublic"];
  checkIns: Schemas["CheckInPublic"][];
  currency: string;
  memberName: (id: string | null) => string;
  canWrite: boolean;
}) {
  const [correcting, setCorrecting] = useState<Schemas["CheckInPublic"] | null>(null);
  const fmt = (value: number) => formatKeyResultValue(keyResult, value, currency);
  if (checkIns.length === 0) {
    return (
      <Text size="sm" c="dimmed">
        No check-ins yet.
      </Text>
    );
  }
  const newestFirst = [...checkIns].sort(
    (a, b) => Date.parse(b.checked_in_at) - Date.parse(a.checked_in_at) || Date.parse(b.created_at) - Date.parse(a.created_at),
  );
  return (
    <>
      <Table.ScrollContainer minWidth={560}>
        <Table striped verticalSpacing={6} aria-label={`Check-in history of ${keyResult.title}`} data-testid="checkin-history">
          <Table.Thead>
            <Table.Tr>
              <Table.Th>As of</Table.Th>
              <Table.Th>Value</Table.Th>
              <Table.Th>Confidence</Table.Th>
              <Table.Th>Note</Table.Th>
              <Table.Th>By</Table.Th>
              {canWrite && (
                <Table.Th>
                  <Text span size="sm" fw={700}>
                    Action
                  </Text>
                </Table.Th>
              )}
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {newestFirst.map((checkIn) => (
              <Table.Tr key={checkIn.id} data-corrected={checkIn.corrected_by ? "true" : undefined}>
                <Table.Td>
                  <Stack gap={2}>
                    <Text size="sm">{formatDateTime(checkIn.checked_in_at)}</Text>
                    <Group gap={4}>
                      {checkIn.backdated && (
                        <Badge size="xs" color="orange.9" variant="outline" title={`Recorded ${formatDateTime(checkIn.created_at)}`}>
                          Backdated
                        </Badge>
                      )}
                      {checkIn.corrects && (
                        <Badge size="xs" color="indigo.8" variant="outline">
                          Correction
                        </Badge>
                      )}
                      {checkIn.corrected_by && (
                        <Badge size="xs" color="red.8" variant="outline">
                          Corrected
                        </Badge>
                      )}
                    </Group>
                  </Stack>
                </Table.Td>
                <Table.Td className="num">
                  <Text size="sm" td={checkIn.corrected_by ? "line-through" : undefined}>
                    {fmt(checkIn.value)}
                  </Text>
                </Table.Td>
                <Table.Td className="num">{formatConfidence(checkIn.confidence)}</Table.Td>
                <Table.Td>
                  <Text size="sm">{checkIn.note}</Text>
                  {checkIn.reason && (
                    <Text size="xs" c="dimmed">
                      Reason: {checkIn.reason}
                    </Text>
                  )}
                </Table.Td>
                <Table.Td>
                  <Text size="sm">{checkIn.author_id ? memberName(checkIn.author_id) : checkIn.actor}</Text>
                  {checkIn.source !== "manual" && (
                    <Text size="xs" c="dimmed">
                      via {checkIn.source}
                    </Text>
                  )}
                </Table.Td>
                {canWrite && (
                  <Table.Td>
                    {!checkIn.corrected_by && (
                      <Button size="compact-xs" variant="subtle" onClick={() => setCorrecting(checkIn)}>
                        Correct<span className="visually-hidden-label"> the check-in of {formatDateTime(checkIn.checked_in_at)}</span>
                      </Button>
                    )}
                  </Table.Td>
                )}
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      </Table.ScrollContainer>
      {correcting && (
        <CorrectionDialog keyResult={keyResult} checkIn={correcting} onClose={() => setCorrecting(null)} fmt={fmt} />
      )}
    </>
  );
}

function CorrectionDialog({
  keyResult,
  checkIn,
  onClose,
  fmt,
}: {
  keyResult: Schemas["KeyResultPublic"];
  checkIn: Schemas["CheckInPublic"];
  onClose: () => void;
  fmt: (value: number) => string;
}) {
  const [opened, { close }] = useDisclosure(true);
  const [value, setValue] = useState(String(checkIn.value));
  const [reason, setReason] = useState("");
  const [errors, setErrors] = useState<Record<string, string>>({});
  const create = useCreateCheckIn();
  const shown = { ...fieldErrors(create.error), ...errors };
  const done = () => {
    close();
    onClose();
  };
  const submit = (event: FormEvent) => {
    event.preventDefault();
    const parsed = parseNumber(value);
    const found: Record<string, string> = {};
    if (parsed === null || Number.isNaN(parsed)) found.value = "Enter the right value";
    if (!reason.trim()) found.reason = "Say why the value was wrong";
    setErrors(found);
    if (Object.keys(found).length > 0 || parsed === null) return;
    create.mutate(
      {
        body: {
          key_result_id: keyResult.id,
          value: parsed,
          confidence: checkIn.confidence,
          corrects: checkIn.id,
          reason: reason.trim(),
        },
      },
      { onSuccess: done },
    );
  };
  return (
    <Modal opened={opened} onClose={done} title="Correct a check-in">
      <form onSubmit={submit} noValidate aria-label="Correct a check-in">
        <FormProblem error={create.error} />
        <Stack>
          <Text size="sm">
            {formatDateTime(checkIn.checked_in_at)}: {fmt(checkIn.value)}. The original stays in the history, marked as
            corrected.
          </Text>
          <TextInput label="Right value" inputMode="decimal" value={value} onChange={(e) => setValue(e.currentTarget.value)} error={shown.value} data-autofocus />
          <Textarea label="Reason" required value={reason} onChange={(e) => setReason(e.currentTarget.value)} error={shown.reason} />
          <Group justify="flex-end">
            <Button variant="default" onClick={done}>
              Cancel
            </Button>
            <Button type="submit" loading={create.isPending}>
              Save correction
            </Button>
          </Group>
        </Stack>
      </form>
    </Modal>
  );
}
