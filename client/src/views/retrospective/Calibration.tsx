/** Confidence against outcome: the chart and its table. */
import { BarChart } from "@mantine/charts";
import { Stack, Table, Text } from "@mantine/core";
import type { Schemas } from "../../api/client";
import { Panel } from "../../components/InsightParts";
import { formatDate } from "../../lib/format";
import { calibrationRows, formatBias, formatBrier, percent, TENDENCY_LABEL } from "../../lib/retrospective";
import { SCROLL_REGION } from "./parts";
import { HelpTip } from "../../components/HelpTip";

export function CalibrationChart({ calibration }: { calibration: Schemas["CalibrationReport"] }) {
  const rows = calibrationRows(calibration);
  return (
    <Panel title="Confidence against outcome">
      {rows.length === 0 ? (
        <Text size="sm" c="dimmed">
          No check-in gave a confidence, so there is nothing to calibrate.
        </Text>
      ) : (
        <Stack gap="xs">
          <Text size="xs" c="dimmed">
            Mean confidence given (as a share of 10) against the share of those forecasts whose key result hit. Bars of
            equal length mean confidence was honest.
          </Text>
          <div
            role="img"
            aria-label={rows
              .map((row) => `${row.label}: confidence ${row.confidence} %, hit rate ${row.hitRate} %`)
              .join("; ")}
          >
            <BarChart
              h={Math.max(160, rows.length * 56)}
              data={rows.map(({ label, confidence, hitRate }) => ({ label, confidence, hitRate }))}
              dataKey="label"
              orientation="vertical"
              withLegend
              legendProps={{ verticalAlign: "bottom" }}
              series={[
                { name: "confidence", label: "Mean confidence", color: "indigo.7" },
                { name: "hitRate", label: "Hit rate", color: "teal.8" },
              ]}
              valueFormatter={(value) => `${value} %`}
              yAxisProps={{ width: 110 }}
              xAxisProps={{ domain: [0, 100] }}
            />
          </div>
        </Stack>
      )}
    </Panel>
  );
}

export function CalibrationTable({ calibration }: { calibration: Schemas["CalibrationReport"] }) {
  const lines: { group: string; name: string; figures: Schemas["CalibrationFigures"] }[] = [
    { group: "Cycle", name: "Every check-in", figures: calibration.every_check_in.overall },
    { group: "Cycle", name: `Mid-cycle (by ${formatDate(calibration.mid_cycle_at)})`, figures: calibration.mid_cycle.overall },
    ...calibration.every_check_in.teams.map((team) => ({ group: "Team", name: team.name, figures: team })),
    ...calibration.every_check_in.people.map((person) => ({ group: "Person", name: person.name, figures: person })),
  ];
  return (
    <Panel title="Calibration in detail" help="calibration">
      <Text size="xs" c="dimmed" mb="xs">
        Brier score = mean of (confidence/10 − outcome)²: 0 is perfect, 0.25 is what always answering 5/10 scores. Bias
        is mean confidence minus hit rate; beyond ±10 points reads as over- or under-confident.
      </Text>
      {/* Focusable when it scrolls on a phone: the table holds no link or button to reach it by keyboard. */}
      <Table.ScrollContainer minWidth={640} scrollAreaProps={{ viewportProps: SCROLL_REGION("Calibration table") }}>
        <Table verticalSpacing={4} fz="sm" aria-label="Calibration" data-testid="retro-calibration">
          <Table.Thead>
            <Table.Tr>
              <Table.Th>Who</Table.Th>
              <Table.Th ta="right">Forecasts</Table.Th>
              <Table.Th ta="right">
                Brier score <HelpTip term="brier" />
              </Table.Th>
              <Table.Th ta="right">Confidence</Table.Th>
              <Table.Th ta="right">Hit rate</Table.Th>
              <Table.Th ta="right">Bias</Table.Th>
              <Table.Th>Reads as</Table.Th>
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {lines.map((line, index) => (
              <Table.Tr key={`${line.group}-${line.name}-${index}`}>
                <Table.Td>
                  {line.name}
                  {line.group !== "Cycle" && (
                    <Text span size="xs" c="dimmed">
                      {" "}
                      · {line.group.toLowerCase()}
                    </Text>
                  )}
                </Table.Td>
                <Table.Td ta="right" className="num">
                  {line.figures.forecasts}
                </Table.Td>
                <Table.Td ta="right" className="num">
                  {formatBrier(line.figures.brier)}
                </Table.Td>
                <Table.Td ta="right" className="num">
                  {percent(line.figures.mean_confidence)}
                </Table.Td>
                <Table.Td ta="right" className="num">
                  {percent(line.figures.hit_rate)}
                </Table.Td>
                <Table.Td ta="right" className="num">
                  {formatBias(line.figures.bias)}
                </Table.Td>
                <Table.Td>{line.figures.tendency ? TENDENCY_LABEL[line.figures.tendency] : "—"}</Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      </Table.ScrollContainer>
    </Panel>
  );
}
