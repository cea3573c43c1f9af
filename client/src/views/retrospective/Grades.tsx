/** How the key results were graded (the distribution per kind) and each objective's final score. */
import { BarChart } from "@mantine/charts";
import { Anchor, Badge, Stack, Table, Text } from "@mantine/core";
import { Link } from "react-router";
import type { Schemas } from "../../api/client";
import { ScoreText } from "../../components/Indicators";
import { Panel } from "../../components/InsightParts";
import { formatProgress, formatScore } from "../../lib/format";
import {
  GRADE_FLAG_TEXT,
  gradeHistogram,
  histogramDescription,
  objectivesByScore,
  percent,
} from "../../lib/retrospective";
import { KIND_LABEL, LEVEL_LABEL } from "../../lib/status";
import { useDirectory } from "../../queries/directory";
import { KIND_COLOR } from "./parts";

export function GradesPanel({ distribution }: { distribution: Schemas["GradeDistribution"][] }) {
  const { rows, kinds } = gradeHistogram(distribution);
  const graded = distribution.filter((item) => item.key_results > 0);
  return (
    <Panel title="Grade distribution">
      {graded.length === 0 ? (
        <Text size="sm" c="dimmed">
          No key result was graded in this cycle.
        </Text>
      ) : (
        <Stack gap="sm">
          <div role="img" aria-label={`Key results by final grade. ${histogramDescription(rows, kinds)}`}>
            <BarChart
              h={220}
              data={rows}
              dataKey="bin"
              withLegend
              legendProps={{ verticalAlign: "bottom" }}
              series={kinds.map((kind) => ({
                name: kind,
                label: KIND_LABEL[kind as keyof typeof KIND_LABEL] ?? kind,
                color: KIND_COLOR[kind] ?? "gray.7",
              }))}
              xAxisProps={{ interval: 0, angle: -35, textAnchor: "end", height: 48, fontSize: 11 }}
              yAxisProps={{ allowDecimals: false, width: 32, tickFormatter: (value: number) => String(value) }}
              valueFormatter={(value) => `${value} key result${value === 1 ? "" : "s"}`}
            />
          </div>
          {graded.map((item) => (
            <Stack key={item.kind} gap={2}>
              <Text size="sm" data-testid={`grades-${item.kind}`}>
                <Text span fw={600}>
                  {KIND_LABEL[item.kind] ?? item.kind}
                </Text>
                : mean grade {formatScore(item.mean_score)} over {item.key_results} key result
                {item.key_results === 1 ? "" : "s"} · {formatProgress(item.mean_progress)} of the targets delivered ·{" "}
                {percent(item.hit_rate)} hit
              </Text>
              {item.flags.map((flag) => (
                <Text key={flag} size="xs" c="red.9" data-flag={flag}>
                  {GRADE_FLAG_TEXT[flag]}
                </Text>
              ))}
            </Stack>
          ))}
        </Stack>
      )}
    </Panel>
  );
}

export function ObjectiveGrades({ objectives }: { objectives: Schemas["ObjectiveGrade"][] }) {
  const directory = useDirectory();
  return (
    <Panel title="Objectives by final grade">
      {objectives.length === 0 ? (
        <Text size="sm" c="dimmed">
          The cycle had no objectives.
        </Text>
      ) : (
        <Table.ScrollContainer minWidth={680}>
          <Table verticalSpacing={4} fz="sm" aria-label="Objective grades">
            <Table.Thead>
              <Table.Tr>
                <Table.Th>Objective</Table.Th>
                <Table.Th>Team</Table.Th>
                <Table.Th>Owner</Table.Th>
                <Table.Th>Kind</Table.Th>
                <Table.Th ta="right">Key results</Table.Th>
                <Table.Th ta="right">Delivered</Table.Th>
                <Table.Th ta="right">Grade</Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {objectivesByScore(objectives).map((objective) => (
                <Table.Tr key={objective.objective_id} data-testid="retro-objective">
                  <Table.Td>
                    <Anchor component={Link} to={`/objectives/${objective.objective_id}`} size="sm">
                      {objective.title}
                    </Anchor>
                    {objective.level !== "team" && (
                      <Badge size="xs" variant="outline" color="gray.8" ml={6}>
                        {LEVEL_LABEL[objective.level]}
                      </Badge>
                    )}
                  </Table.Td>
                  <Table.Td>{directory.teamName(objective.team_id)}</Table.Td>
                  <Table.Td>{directory.memberName(objective.owner_id)}</Table.Td>
                  <Table.Td>{KIND_LABEL[objective.kind]}</Table.Td>
                  <Table.Td ta="right" className="num">
                    {objective.key_results}
                  </Table.Td>
                  <Table.Td ta="right" className="num">
                    {formatProgress(objective.progress)}
                  </Table.Td>
                  <Table.Td ta="right" data-testid="retro-objective-score">
                    <ScoreText score={objective.score} label={`Grade of ${objective.title}`} />
                  </Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        </Table.ScrollContainer>
      )}
    </Panel>
  );
}
