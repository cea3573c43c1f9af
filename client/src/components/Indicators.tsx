/** Small read-outs used everywhere: status badge, score, progress bar, confidence. */
import { Badge, Group, Progress, Text, Tooltip } from "@mantine/core";
import { formatConfidence, formatProgress, formatScore, scoreBand } from "../lib/format";
import { type Status, STATUS_COLOR, STATUS_LABEL } from "../lib/status";

export function StatusBadge({ status, size = "sm" }: { status: Status; size?: "xs" | "sm" | "md" }) {
  return (
    <Badge color={STATUS_COLOR[status]} variant="filled" size={size} data-status={status}>
      {STATUS_LABEL[status]}
    </Badge>
  );
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
  const bar = (
    <Progress
      value={value}
      color={STATUS_COLOR[status]}
      size="md"
      radius="xl"
      aria-label={`${label}: ${formatProgress(progress)}`}
      style={{ flex: 1, minWidth: 60 }}
    />
  );
  return (
    <Group gap="xs" wrap="nowrap" style={flex ? { flex } : undefined}>
      {expected !== undefined && expected !== null ? (
        <Tooltip label={`Expected by now: ${formatProgress(expected)}`}>
          <div style={{ flex: 1, minWidth: 60 }}>{bar}</div>
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
