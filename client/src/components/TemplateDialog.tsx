/** "New from template": the library by category, a template's key results with their hints, targets editable,
 * created with one request (POST /templates/{id}/apply); the organisation's own templates can be deleted here. */
import { Badge, Button, Group, Modal, NativeSelect, Paper, ScrollArea, Stack, Table, Text, TextInput, Title, UnstyledButton } from "@mantine/core";
import { useDisclosure } from "@mantine/hooks";
import { notifications } from "@mantine/notifications";
import { IconTemplate } from "@tabler/icons-react";
import { useState } from "react";
import { useNavigate } from "react-router";
import type { Schemas } from "../api/client";
import { formatValue } from "../lib/format";
import { fieldErrors } from "../lib/problem";
import { changedTargets, templatesByCategory } from "../lib/templates";
import { useDirectory } from "../queries/directory";
import { useApplyTemplate, useDeleteTemplate, useTemplates } from "../queries/planning";
import { FormProblem } from "./FormProblem";
import { Loading, QueryError } from "./QueryState";

type Template = Schemas["TemplatePublic"];

/** Delete one of the organisation's own templates, after an inline confirmation (the preview is already a dialog). */
function DeleteTemplate({ template, onDeleted }: { template: Template; onDeleted: () => void }) {
  const remove = useDeleteTemplate();
  const [confirming, setConfirming] = useState(false);
  if (!confirming) {
    return (
      <Button variant="subtle" color="red.9" onClick={() => setConfirming(true)}>
        Delete template
      </Button>
    );
  }
  const confirm = () =>
    void remove.mutateAsync({ params: { path: { template_id: template.id } } }).then(
      () => {
        notifications.show({ color: "teal", message: `Deleted the template “${template.title}”` });
        onDeleted();
      },
      () => undefined, // shown by FormProblem
    );
  return (
    <Paper withBorder p="sm" role="group" aria-label="Delete this template">
      <FormProblem error={remove.error} title="Not deleted" />
      <Text size="sm" mb="xs">
        Delete “{template.title}” from your organisation’s library? Objectives already created from it keep their key
        results.
      </Text>
      <Group justify="flex-end">
        <Button variant="default" onClick={() => setConfirming(false)}>
          Keep it
        </Button>
        <Button color="red.9" loading={remove.isPending} onClick={confirm}>
          Delete template
        </Button>
      </Group>
    </Paper>
  );
}

function TemplatePreview({
  template,
  cycle,
  onDone,
  onDeleted,
}: {
  template: Template;
  cycle: { id: string; state: string };
  onDone: (objectiveId: string) => void;
  onDeleted: () => void;
}) {
  const directory = useDirectory();
  const apply = useApplyTemplate();
  const [typed, setTyped] = useState<Record<number, string>>({});
  const [level, setLevel] = useState<"company" | "team">(directory.teams.length > 0 ? "team" : "company");
  const [teamId, setTeamId] = useState(directory.teams[0]?.id ?? "");
  const { targets, invalid } = changedTargets(template, typed);
  const errors = fieldErrors(apply.error);
  const submit = () => {
    if (invalid.length > 0) return;
    void apply
      .mutateAsync({
        params: { path: { template_id: template.id } },
        body: {
          cycle_id: cycle.id,
          level,
          team_id: level === "team" ? teamId || null : null,
          state: cycle.state === "planning" ? "draft" : "active",
          targets,
        },
      })
      .then(
        (created) => {
          notifications.show({ color: "teal", message: `Created “${created.title}” with its key results` });
          onDone(created.id);
        },
        () => undefined, // shown by FormProblem
      );
  };
  return (
    <Stack gap="sm">
      <div>
        <Title order={3} size="h4">
          {template.title}
        </Title>
        {template.description && (
          <Text size="sm" c="dimmed">
            {template.description}
          </Text>
        )}
      </div>
      <Table.ScrollContainer minWidth={520}>
        <Table verticalSpacing="xs" aria-label="The template's key results">
          <Table.Thead>
            <Table.Tr>
              <Table.Th>Key result</Table.Th>
              <Table.Th>Start</Table.Th>
              <Table.Th>Target</Table.Th>
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {template.key_results.map((kr, index) => (
              <Table.Tr key={index}>
                <Table.Td>
                  <Text size="sm" fw={600}>
                    {kr.title}
                  </Text>
                  {kr.target_hint && (
                    <Text size="xs" c="dimmed">
                      Target: {kr.target_hint}
                    </Text>
                  )}
                  {kr.how_to_measure && (
                    <Text size="xs" c="dimmed">
                      Measure: {kr.how_to_measure}
                    </Text>
                  )}
                </Table.Td>
                <Table.Td className="num">{formatValue(kr.start_value, kr.metric, kr.unit)}</Table.Td>
                <Table.Td>
                  <TextInput
                    size="xs"
                    w={110}
                    inputMode="decimal"
                    aria-label={`Target for ${kr.title}`}
                    value={typed[index] ?? String(kr.target_value)}
                    onChange={(event) => setTyped({ ...typed, [index]: event.currentTarget.value })}
                    error={invalid.includes(index) ? "Enter a number" : errors[`body.targets.${index}`]}
                  />
                </Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      </Table.ScrollContainer>
      <Group align="flex-end" gap="sm">
        <NativeSelect
          label="Level"
          value={level}
          onChange={(event) => setLevel(event.currentTarget.value === "team" ? "team" : "company")}
          data={[
            { value: "company", label: "Company" },
            ...(directory.teams.length > 0 ? [{ value: "team", label: "Team" }] : []),
          ]}
        />
        {level === "team" && (
          <NativeSelect
            label="Team"
            value={teamId}
            onChange={(event) => setTeamId(event.currentTarget.value)}
            data={directory.teams.map((team) => ({ value: team.id, label: team.name }))}
          />
        )}
      </Group>
      <FormProblem error={apply.error} title="Not created" />
      <Group justify={template.source === "organisation" ? "space-between" : "flex-end"} align="flex-start">
        {template.source === "organisation" && <DeleteTemplate template={template} onDeleted={onDeleted} />}
        <Button onClick={submit} loading={apply.isPending}>
          Create from template
        </Button>
      </Group>
    </Stack>
  );
}

export function NewFromTemplateButton({ cycle }: { cycle: { id: string; name: string; state: string } }) {
  const [opened, { open, close }] = useDisclosure(false);
  const templates = useTemplates(opened);
  const [chosen, setChosen] = useState<string | null>(null);
  const navigate = useNavigate();
  const items = templates.data?.items ?? [];
  const template = items.find((item) => item.id === chosen) ?? null;
  const closeAll = () => {
    setChosen(null);
    close();
  };
  return (
    <>
      <Button variant="default" leftSection={<IconTemplate size={16} aria-hidden />} onClick={open}>
        New from template
      </Button>
      <Modal opened={opened} onClose={closeAll} title={`New from template in ${cycle.name}`} size="xl">
        {templates.error ? (
          <QueryError error={templates.error} onRetry={() => void templates.refetch()} />
        ) : templates.isPending ? (
          <Loading label="Loading templates" />
        ) : template ? (
          <Stack gap="xs">
            <Group>
              <Button size="compact-sm" variant="subtle" onClick={() => setChosen(null)}>
                ← All templates
              </Button>
            </Group>
            <TemplatePreview
              key={template.id}
              template={template}
              cycle={cycle}
              onDone={(id) => {
                closeAll();
                void navigate(`/objectives/${id}`);
              }}
              onDeleted={() => setChosen(null)}
            />
          </Stack>
        ) : (
          <ScrollArea.Autosize mah="65vh">
            <Stack gap="md">
              {templatesByCategory(items).map((group) => (
                <section key={group.category} aria-label={group.label}>
                  <Title order={3} size="h5" mb={4}>
                    {group.label}
                  </Title>
                  <Stack gap={4}>
                    {group.templates.map((item) => (
                      <UnstyledButton key={item.id} onClick={() => setChosen(item.id)}>
                        <Paper withBorder p="xs">
                          <Group justify="space-between" wrap="nowrap">
                            <Text size="sm" fw={600}>
                              {item.title}
                            </Text>
                            <Group gap={4} wrap="nowrap">
                              {item.source === "organisation" && (
                                <Badge variant="outline" color="indigo.9" size="sm">
                                  Yours
                                </Badge>
                              )}
                              <Text size="xs" c="dimmed">
                                {item.key_results.length} key results
                              </Text>
                            </Group>
                          </Group>
                        </Paper>
                      </UnstyledButton>
                    ))}
                  </Stack>
                </section>
              ))}
            </Stack>
          </ScrollArea.Autosize>
        )}
      </Modal>
    </>
  );
}
