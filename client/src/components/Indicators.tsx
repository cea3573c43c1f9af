/** Small read-outs used everywhere: status badge, score, progress bar, confidence. */
import { Badge, Group, Progress, Text, Tooltip } from "@mantine/core";
import { formatConfidence, formatProgress, formatScore, scoreBand } from "../lib/format";
import { type Status, STATUS_COLOR, STATUS_LABEL } from "../lib/status";
import type { StatusFacts } from "../lib/statusExplain";
import { ExplainedStatus } from "./StatusBadgeExplained";

/**
 * The status; given the figures behind it (`explain`), a button that explains itself on hover, focus or tap: the
 * gap to expected progress, the organisation's thresholds and the confidence rule.
 */
export function StatusBadge({
  status,
  size = "sm",
  explain,
}: {
  status: Status;
  size?: "xs" | "sm" | "md";
  explain?: StatusFacts;
}) {
  const badge = (
    <Badge color={STATUS_COLOR[status]} variant="filled" size={size} data-status={status} style={explain ? { cursor: "help" } : undefined}>
      {STATUS_LABEL[status]}
    </Badge>
  );
  return explain ? <ExplainedStatus status={status} facts={explain} badge={badge} /> : badge;
}

// Mid-cycle a low score is expected, so only a good grade (≥ 0.7) is coloured; the status badge carries the alarm.
const BAND_COLOR = { good: "teal.9", partial: undefined, low: undefined, none: "dimmed" } as const;

export function ScoreText({ score, label = "Score" }: { score: number | null | undefined; label?: string }) {
  return (
    <Text span fw={700} className="num" c={BAND_COLOR[scoreBand(score)]} aria-label={`${label} ${formatScore(score)}`}>
      {formatScore(score)}
    </Text>
  );
}

/** Progress clamped to the bar; the exact figure (which may exceed 100 %) sits beside it. */
export function ProgressBar({
  progress,
  expected,
  status,
  label,
  flex,
}: {
  progress: number | null;
  expected?: number | null;
  status: Status;
  label: string;
  /** CSS flex of the whole read-out when it sits in a row. */
  flex?: string;
}) {
  const value = Math.max(0, Math.min(1, progress ?? 0)) * 100;
  const hasExpected = expected !== undefined && expected !== null;
  const bar = (
    <Progress
      value={value}
      color={STATUS_COLOR[status]}
      size="md"
      radius="xl"
      aria-label={`${label}: ${formatProgress(progress)}${hasExpected ? `, expected by now ${formatProgress(expected)}` : ""}`}
      style={{ flex: 1, minWidth: 60 }}
    />
  );
  return (
    <Group gap="xs" wrap="nowrap" style={flex ? { flex } : undefined}>
      {hasExpected ? (
        <Tooltip label={`Expected by now: ${formatProgress(expected)}`}>
          {/* The marker: a dark tick where the plan says progress should be today. */}
          <div style={{ flex: 1, minWidth: 60, position: "relative" }}>
            {bar}
            <span
              aria-hidden
              data-testid="expected-marker"
              data-expected={expected}
              style={{
                position: "absolute",
                left: `calc(${Math.max(0, Math.min(1, expected)) * 100}% - 1.5px)`,
                top: -4,
                bottom: -4,
                width: 3,
                borderRadius: 2,
                background: "var(--mantine-color-dark-9)",
                boxShadow: "0 0 0 1px var(--mantine-color-body)",
              }}
            />
          </div>
        </Tooltip>
      ) : (
        bar
      )}
      <Text size="sm" className="num" w={48} ta="right">
        {formatProgress(progress)}
      </Text>
    </Group>
  );
}

export function Confidence({ value }: { value: number | null | undefined }) {
  const low = value !== null && value !== undefined && value <= 3;
  return (
    <Text span size="sm" className="num" c={low ? "red.9" : undefined} fw={low ? 700 : undefined}>
      {formatConfidence(value)}
    </Text>
  );
}
