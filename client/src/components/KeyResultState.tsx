/** Milestones and thresholds are not a ramp to a target: a milestone is done or not (with its planned date), a
 * threshold holds or is breached; neither has an expected-by-now marker or a pace line. */
import { Badge, Group, Text } from "@mantine/core";
import type { Schemas } from "../api/client";
import { formatDate, formatKeyResultValue } from "../lib/format";
import { keyResultKind, thresholdHolds } from "../lib/keyResultKind";

export function KeyResultState({ keyResult, currency }: { keyResult: Schemas["KeyResultPublic"]; currency: string }) {
  const kind = keyResultKind(keyResult);
  const fmt = (value: number) => formatKeyResultValue(keyResult, value, currency);
  if (kind === "milestone") {
    const done = keyResult.progress >= 1;
    const planned = keyResult.milestone_plan.find((point) => point.value >= keyResult.target_value);
    const due = keyResult.expected_progress >= 1;
    return (
      <Group gap="sm" data-testid="kr-milestone" wrap="wrap">
        <Badge variant={done ? "filled" : "outline"} color={done ? "teal.9" : "gray.8"} size="lg">
          {done ? "Done" : "Not done yet"}
        </Badge>
        <Text size="sm">
          {planned ? `Planned for ${formatDate(planned.date)}` : "Due by the end of the cycle"}
          {!done && due ? " — the plan says it should be done by now" : ""}
        </Text>
      </Group>
    );
  }
  const holds = thresholdHolds(keyResult);
  const side = keyResult.direction === "at_most" ? "at or below" : "at or above";
  return (
    <Group gap="sm" data-testid="kr-threshold" wrap="wrap">
      <Badge variant="filled" color={holds ? "teal.9" : "red.9"} size="lg">
        {holds ? "Holding" : "Breached"}
      </Badge>
      <Text size="sm">
        {fmt(keyResult.current_value)} now; must stay {side} {fmt(keyResult.target_value)} all cycle
      </Text>
    </Group>
  );
}

export { keyResultKind };
