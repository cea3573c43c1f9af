/** The initiatives linked to an objective's key results, with the spend allocated to them. */
import { Anchor, Badge, Group, Paper, Stack, Text, Title } from "@mantine/core";
import { Link } from "react-router";
import type { Schemas } from "../api/client";
import { money, sumMoney } from "../lib/money";
import { useInitiatives } from "../queries/initiatives";
import { Loading, QueryError } from "./QueryState";

export function ObjectiveInitiatives({ objective }: { objective: Schemas["ObjectivePublic"] }) {
  const initiatives = useInitiatives({ objective_id: objective.id });
  const mine = new Set(objective.key_results.map((kr) => kr.id));
  return (
    <Paper withBorder p="md" component="section" aria-labelledby="initiatives-heading">
      <Group justify="space-between" mb="xs">
        <Title order={2} size="h4" id="initiatives-heading">
          Initiatives and spend
        </Title>
        <Anchor component={Link} to="/initiatives" size="sm">
          All initiatives
        </Anchor>
      </Group>
      {initiatives.error ? (
        <QueryError error={initiatives.error} onRetry={() => void initiatives.refetch()} />
      ) : initiatives.isPending ? (
        <Loading label="Loading initiatives" />
      ) : initiatives.data.items.length === 0 ? (
        <Text size="sm" c="dimmed">
          No initiative is linked to these key results yet.
        </Text>
      ) : (
        <Stack gap={6} data-testid="objective-initiatives">
          {initiatives.data.items.map((initiative) => {
            const allocated = sumMoney(
              initiative.key_results.filter((kr) => mine.has(kr.key_result_id)).map((kr) => kr.allocated_spend),
            );
            return (
              <Group key={initiative.id} justify="space-between" wrap="wrap">
                <Group gap="xs">
                  <Text size="sm" fw={600}>
                    {initiative.title}
                  </Text>
                  <Badge size="xs" variant="outline" color="gray.8">
                    {initiative.state.replace("_", " ")}
                  </Badge>
                </Group>
                <Text size="sm" className="num">
                  {money(allocated, initiative.currency)} here · {money(initiative.actual_spend, initiative.currency)} spent of{" "}
                  {money(initiative.planned_budget, initiative.currency)}
                </Text>
              </Group>
            );
          })}
        </Stack>
      )}
    </Paper>
  );
}
