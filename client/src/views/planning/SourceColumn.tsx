/** Last cycle's objectives and key results as they ended (final value, target, score), each with a box to carry it. */
import { Badge, Checkbox, Group, Paper, Stack, Table, Text, Title } from "@mantine/core";
import type { Schemas } from "../../api/client";
import { formatKeyResultValue, formatScore } from "../../lib/format";
import type { CarrySelection } from "../../lib/planning";

type Objective = Schemas["ObjectivePublic"];

export function SourceColumn({
  objectives,
  selection,
  onChange,
  carried,
  currency,
}: {
  objectives: Objective[];
  selection: CarrySelection;
  onChange: (selection: CarrySelection) => void;
  /** ids of originals already carried into the planned cycle */
  carried: Set<string>;
  currency: string;
}) {
  const live = (objective: Objective) => objective.key_results.filter((kr) => !kr.archived);
  const toggleObjective = (objective: Objective, checked: boolean) =>
    onChange({ ...selection, [objective.id]: checked ? live(objective).map((kr) => kr.id) : [] });
  const toggleKeyResult = (objective: Objective, id: string, checked: boolean) => {
    const chosen = selection[objective.id] ?? [];
    onChange({ ...selection, [objective.id]: checked ? [...chosen, id] : chosen.filter((item) => item !== id) });
  };
  return (
    <Stack gap="sm">
      {objectives.map((objective) => {
        const chosen = selection[objective.id] ?? [];
        const krs = live(objective);
        const all = krs.length > 0 && krs.every((kr) => chosen.includes(kr.id));
        return (
          <Paper key={objective.id} withBorder p="sm" data-source-objective={objective.title}>
            <Group justify="space-between" wrap="nowrap" align="flex-start">
              <Checkbox
                label={<Text fw={600}>{objective.title}</Text>}
                aria-label={`Carry ${objective.title}`}
                checked={all}
                indeterminate={!all && chosen.length > 0}
                onChange={(event) => toggleObjective(objective, event.currentTarget.checked)}
              />
              <Group gap={4} wrap="nowrap">
                {carried.has(objective.id) && (
                  <Badge variant="outline" color="gray.8" size="sm">
                    Carried
                  </Badge>
                )}
                <Text size="sm" className="num">
                  Score {formatScore(objective.score)}
                </Text>
              </Group>
            </Group>
            <Table.ScrollContainer minWidth={420}>
              <Table verticalSpacing={4} mt="xs" aria-label={`Key results of ${objective.title}`}>
                <Table.Thead>
                  <Table.Tr>
                    <Table.Th>Key result</Table.Th>
                    <Table.Th>Reached</Table.Th>
                    <Table.Th>Target</Table.Th>
                    <Table.Th>Score</Table.Th>
                  </Table.Tr>
                </Table.Thead>
                <Table.Tbody>
                  {krs.map((kr) => (
                    <Table.Tr key={kr.id}>
                      <Table.Td>
                        <Checkbox
                          size="xs"
                          label={kr.title}
                          aria-label={`Carry key result ${kr.title}`}
                          checked={chosen.includes(kr.id)}
                          onChange={(event) => toggleKeyResult(objective, kr.id, event.currentTarget.checked)}
                        />
                      </Table.Td>
                      <Table.Td className="num">{formatKeyResultValue(kr, kr.current_value, currency)}</Table.Td>
                      <Table.Td className="num">{formatKeyResultValue(kr, kr.target_value, currency)}</Table.Td>
                      <Table.Td className="num">{formatScore(kr.score)}</Table.Td>
                    </Table.Tr>
                  ))}
                </Table.Tbody>
              </Table>
            </Table.ScrollContainer>
          </Paper>
        );
      })}
    </Stack>
  );
}

export function SourceHeading({ name }: { name: string }) {
  return (
    <Title order={2} size="h3">
      Last cycle: {name}
    </Title>
  );
}
