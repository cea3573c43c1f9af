/** What an initiative's money moves, traced: each key result (a link) with its objective and the chain of
 * alignment up to the company objective(s); and the budget's pace (planned, spent, expected by now). */
import { Anchor, Group, Paper, Progress, Stack, Text, Title } from "@mantine/core";
import { IconArrowUp } from "@tabler/icons-react";
import { Fragment } from "react";
import { Link } from "react-router";
import { Loading } from "../../components/QueryState";
import { formatDate, formatPercent } from "../../lib/format";
import { money } from "../../lib/money";
import { useLineOfSight } from "../../queries/alignment";
import type { Initiative } from "./model";

export function BudgetPacing({ initiative }: { initiative: Initiative }) {
  const { currency } = initiative;
  const planned = Number(initiative.planned_budget);
  const spent = Number(initiative.actual_spend);
  const expected = initiative.expected_spend === null ? null : Number(initiative.expected_spend);
  const delta = initiative.spend_vs_expected === null ? 0 : Number(initiative.spend_vs_expected);
  const pct = (value: number) => (planned > 0 ? Math.min(100, (value / planned) * 100) : 0);
  return (
    <Paper withBorder p="sm" component="section" aria-labelledby="budget-pacing-heading" data-testid="budget-pacing">
      <Title order={3} size="h5" id="budget-pacing-heading" mb={4}>
        Budget pacing
      </Title>
      <Group gap="lg" wrap="wrap">
        <Text size="sm">
          Planned <strong>{money(initiative.planned_budget, currency)}</strong>
        </Text>
        <Text size="sm">
          Spent <strong>{money(initiative.actual_spend, currency)}</strong>
        </Text>
        <Text size="sm">
          Expected by {formatDate(initiative.pacing_day)}{" "}
          <strong>{initiative.expected_spend === null ? "—" : money(initiative.expected_spend, currency)}</strong>
        </Text>
      </Group>
      {expected === null ? (
        <Text size="xs" c="dimmed" mt={4}>
          Give the initiative a start and an end date to see how its spending keeps pace.
        </Text>
      ) : (
        <>
          <div style={{ position: "relative", marginTop: 8 }}>
            <Progress value={pct(spent)} color={spent > planned && planned > 0 ? "red.9" : "indigo.7"} size="md" aria-label={`Spent ${pct(spent).toFixed(0)} % of the budget`} />
            <div
              aria-hidden
              title="Expected by now"
              style={{ position: "absolute", top: -3, bottom: -3, width: 2, left: `calc(${pct(expected)}% - 1px)`, background: "var(--mantine-color-dark-9)" }}
            />
          </div>
          <Text size="xs" c="dimmed" mt={4}>
            {formatPercent(Number(initiative.elapsed_share))} of its dates have passed ·{" "}
            {delta === 0
              ? "spending exactly on plan"
              : delta > 0
                ? `${money(delta, currency)} ahead of plan`
                : `${money(-delta, currency)} behind plan`}
          </Text>
        </>
      )}
    </Paper>
  );
}

export function KeyResultTrace({ initiative }: { initiative: Initiative }) {
  if (initiative.key_results.length === 0) {
    return (
      <Text size="sm" c="red.9">
        Linked to no key result: this money moves nothing the company measures yet.
      </Text>
    );
  }
  return (
    <Stack gap="xs" component="ul" style={{ listStyle: "none", padding: 0, margin: 0 }} aria-label="Key results it moves" data-testid="initiative-trace">
      {initiative.key_results.map((kr) => (
        <Paper key={kr.key_result_id} withBorder p="xs" component="li">
          <Anchor component={Link} to={`/objectives/${kr.objective_id}`} fw={600} size="sm">
            {kr.key_result_title}
          </Anchor>
          <Text size="xs" c="dimmed">
            {formatPercent(Number(kr.effective_share))} of the money · {money(kr.allocated_spend, initiative.currency)} spent
          </Text>
          <Chain objectiveId={kr.objective_id} objectiveTitle={kr.objective_title} />
        </Paper>
      ))}
    </Stack>
  );
}

/** The objective of the key result, and each path from it up to the company. */
function Chain({ objectiveId, objectiveTitle }: { objectiveId: string; objectiveTitle: string }) {
  const sight = useLineOfSight(objectiveId);
  const objective = (
    <Anchor component={Link} to={`/objectives/${objectiveId}`} size="xs">
      {objectiveTitle}
    </Anchor>
  );
  if (sight.isPending) return <Loading label="Tracing up to the company" />;
  const paths = sight.data?.paths ?? [];
  const company = sight.data?.objective.level === "company";
  return (
    <Stack gap={2} mt={4} data-testid="initiative-chain">
      {paths.length === 0 ? (
        <Group gap={6} wrap="wrap">
          {objective}
          <Text size="xs" c={company ? "dimmed" : "red.9"}>
            {company ? "· a company objective" : "· aligned to nothing above it"}
          </Text>
        </Group>
      ) : (
        paths.map((path, index) => (
          <Group key={index} gap={6} wrap="wrap">
            {objective}
            {path.hops.map((hop) => (
              <Fragment key={hop.link_id}>
                <IconArrowUp size={12} aria-hidden style={{ transform: "rotate(90deg)" }} />
                <Anchor component={Link} to={`/objectives/${hop.parent.id}`} size="xs">
                  {hop.parent.title}
                </Anchor>
              </Fragment>
            ))}
            <Text size="xs" c={path.reaches_company ? "dimmed" : "red.9"}>
              {path.reaches_company ? "· company objective" : "· stops below company level"}
            </Text>
          </Group>
        ))
      )}
    </Stack>
  );
}
