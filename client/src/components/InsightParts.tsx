/** Building blocks of the insight and money screens (health, retrospective, initiatives): figures, titled panels, ambition and honesty. */
import { Badge, Group, List, Paper, Stack, Text, Title } from "@mantine/core";
import type { ReactNode } from "react";
import type { Schemas } from "../api/client";
import type { GlossaryTerm } from "../lib/glossary";
import { percent } from "../lib/retrospective";
import { HelpTip } from "./HelpTip";

export function Figure({ label, value, testId, detail }: { label: string; value: string; testId?: string; detail?: string }) {
  return (
    <Paper withBorder p="sm">
      <Text size="xs" c="dimmed">
        {label}
      </Text>
      <Text fw={700} size="xl" className="num" data-testid={testId}>
        {value}
      </Text>
      {detail && (
        <Text size="xs" c="dimmed">
          {detail}
        </Text>
      )}
    </Paper>
  );
}

/** A titled section (its heading names the region for screen readers). */
export function Panel({
  title,
  children,
  action,
  help,
}: {
  title: string;
  children: ReactNode;
  action?: ReactNode;
  help?: GlossaryTerm;
}) {
  const id = `panel-${title.replace(/\W+/g, "-").toLowerCase()}`;
  return (
    <Paper withBorder p="md" component="section" aria-labelledby={id} miw={0}>
      <Group justify="space-between" align="flex-start" mb="sm" gap="xs">
        <Group gap={4} wrap="nowrap">
          <Title order={2} size="h5" id={id}>
            {title}
          </Title>
          {help && <HelpTip term={help} />}
        </Group>
        {action}
      </Group>
      {children}
    </Paper>
  );
}

const FLAG_LABEL: Record<string, string> = {
  low_ambition: "low ambition",
  no_baseline: "no baseline",
  hit_early: "hit early",
  sandbagging_suspect: "sandbagging?",
};

export const SIGNAL_LABEL: Record<string, string> = {
  correction: "Corrections",
  backdated: "Backdated",
  late_jump: "Late jumps",
  flat_then_jump: "Flat, then a jump",
  confidence_never_moved: "Confidence never moved",
};

/** Ambition against last period: the cycle's summary and the flagged key results. */
export function AmbitionSummary({ ambition }: { ambition: Schemas["AmbitionReport"] }) {
  const figures = ambition.cycle;
  const flagged = ambition.key_results.filter((kr) => kr.flags.length > 0);
  return (
    <Stack gap={6}>
      <Text size="sm">
        {figures.with_baseline} of {figures.key_results} key results name last period's figure; targets beat it by{" "}
        {percent(figures.mean_ambition)} on average (stretch {percent(figures.mean_stretch_ambition)}).{" "}
        {figures.hit_early} hit early, {figures.no_baseline} without a baseline.
      </Text>
      {flagged.length === 0 ? (
        <Text size="sm" c="dimmed">
          No key result is flagged.
        </Text>
      ) : (
        <List spacing={4} size="sm">
          {flagged.slice(0, 12).map((kr) => (
            <List.Item key={kr.key_result_id}>
              {kr.title}{" "}
              {kr.flags.map((flag) => (
                <Badge key={flag} size="xs" variant="outline" color={flag === "low_ambition" ? "red.9" : "gray.8"} ml={4}>
                  {FLAG_LABEL[flag] ?? flag}
                </Badge>
              ))}
            </List.Item>
          ))}
        </List>
      )}
    </Stack>
  );
}

/** Honesty signals: the API's note (signals, not verdicts), counts by kind and the first signals. */
export function HonestySummary({ honesty }: { honesty: Schemas["HonestyReport"] }) {
  const signals = honesty.cycle;
  return (
    <Stack gap={6}>
      <Text size="xs" c="dimmed">
        {honesty.note}
      </Text>
      <Group gap={6}>
        {Object.entries(SIGNAL_LABEL).map(([kind, label]) => (
          <Badge key={kind} variant="outline" color="gray.8">
            {label}: {signals[kind as keyof typeof signals] ?? 0}
          </Badge>
        ))}
      </Group>
      <List spacing={4} size="sm">
        {honesty.signals.slice(0, 10).map((signal, index) => (
          <List.Item key={`${signal.key_result_id}-${signal.kind}-${index}`}>
            <Text span fw={600} size="sm">
              {signal.key_result_title}
            </Text>
            : {signal.detail}
          </List.Item>
        ))}
      </List>
    </Stack>
  );
}
