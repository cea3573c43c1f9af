/** A carry-over's answer (the preview or the real call): what will be (or was) created, and what not and why. */
import { List, Paper, Stack, Text, Title } from "@mantine/core";
import type { Schemas } from "../../api/client";
import { formatNumber } from "../../lib/format";
import { SKIP_REASON } from "../../lib/planning";

export function CarryOverResult({ result, titles }: { result: Schemas["CarryOverResult"]; titles: Map<string, string> }) {
  const created = result.objectives.filter((objective) => objective.created || objective.key_results.length > 0);
  const verb = result.dry_run ? "Will be created" : "Created";
  return (
    <Paper withBorder p="sm" aria-label={result.dry_run ? "Carry-over preview" : "Carried over"} component="section">
      <Stack gap="xs">
        <Title order={3} size="h4">
          {verb} ({created.length} objectives, {created.reduce((n, o) => n + o.key_results.length, 0)} key results)
        </Title>
        {created.length === 0 ? (
          <Text size="sm">Nothing new.</Text>
        ) : (
          <List size="sm" spacing={4}>
            {created.map((objective) => (
              <List.Item key={objective.carried_from}>
                <Text size="sm" fw={600} span>
                  {objective.title}
                </Text>
                {!objective.created && " (added to its earlier copy)"}
                <List size="sm" withPadding>
                  {objective.key_results.map((kr) => (
                    <List.Item key={kr.carried_from}>
                      {kr.title}: start {formatNumber(kr.start_value)}, target {formatNumber(kr.target_value)}, last
                      period reached {formatNumber(kr.previous_value)} ({kr.accumulation})
                    </List.Item>
                  ))}
                </List>
              </List.Item>
            ))}
          </List>
        )}
        {result.alignments.length > 0 && (
          <Text size="sm">{result.alignments.length} alignment links re-created between the copies.</Text>
        )}
        {result.initiatives.length > 0 && (
          <Text size="sm">
            Initiatives moving along: {result.initiatives.map((initiative) => initiative.title).join(", ")}.
          </Text>
        )}
        {result.skipped.length > 0 && (
          <>
            <Title order={3} size="h5">
              {result.dry_run ? "Won't be carried" : "Not carried"} ({result.skipped.length})
            </Title>
            <List size="sm" spacing={4} aria-label="Not carried, and why">
              {result.skipped.map((skip) => (
                <List.Item key={`${skip.kind}-${skip.source_id}`}>
                  {titles.get(skip.source_id) ?? skip.kind}: {SKIP_REASON[skip.reason]}
                  {skip.detail && ` (${skip.detail})`}
                </List.Item>
              ))}
            </List>
          </>
        )}
      </Stack>
    </Paper>
  );
}
