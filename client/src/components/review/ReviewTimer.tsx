/** The review's 15-minute clock: start, pause, reset; it counts on past zero (shown as over time). */
import { Button, Group, Text } from "@mantine/core";
import { useEffect, useState } from "react";
import { clock, REVIEW_SECONDS } from "../../lib/review";

export type TimerState = { startedAt: number | null; spentBefore: number };
export const TIMER_IDLE: TimerState = { startedAt: null, spentBefore: 0 };

/** The timer's state lives with the review (so presenter mode shows the same clock); this draws and drives it. */
export function ReviewTimer({ state, onChange, size = "sm" }: { state: TimerState; onChange: (next: TimerState) => void; size?: "sm" | "lg" }) {
  const [now, setNow] = useState(() => Date.now());
  const running = state.startedAt !== null;
  useEffect(() => {
    if (!running) return;
    const tick = window.setInterval(() => setNow(Date.now()), 250);
    return () => window.clearInterval(tick);
  }, [running]);
  const spent = state.spentBefore + (state.startedAt !== null ? Math.max(0, now - state.startedAt) / 1000 : 0);
  const left = REVIEW_SECONDS - spent;
  const over = left < 0;
  const start = () => {
    const at = Date.now();
    setNow(at);
    onChange({ startedAt: at, spentBefore: state.spentBefore });
  };
  const pause = () => onChange({ startedAt: null, spentBefore: spent });
  return (
    <Group gap="xs" wrap="nowrap" data-testid="review-timer">
      <Text
        fw={700}
        size={size === "lg" ? "xl" : "md"}
        c={over ? "red.9" : undefined}
        ff="monospace"
        role="timer"
        aria-live="off"
        aria-label={over ? `${clock(left)} over the 15 minutes` : `${clock(left)} of 15 minutes left`}
      >
        {clock(left)}
      </Text>
      {running ? (
        <Button size="compact-sm" variant="light" onClick={pause}>
          Pause timer
        </Button>
      ) : (
        <Button size="compact-sm" variant="light" onClick={start}>
          {spent > 0 ? "Resume timer" : "Start 15-minute timer"}
        </Button>
      )}
      {spent > 0 && (
        <Button size="compact-sm" variant="subtle" color="gray.8" onClick={() => onChange(TIMER_IDLE)}>
          Reset
        </Button>
      )}
    </Group>
  );
}
