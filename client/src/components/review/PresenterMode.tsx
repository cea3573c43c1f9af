/** Presenter mode: the review's agenda full screen, one item at a time; ← → (or Page Up/Down, Home/End) move
 * between items, Escape leaves. Typing in a note never moves the slide. */
import { Badge, Button, Group, Paper, Progress, Stack, Text, Title } from "@mantine/core";
import { type KeyboardEvent, useEffect, useRef, useState } from "react";
import type { Schemas } from "../../api/client";
import { formatConfidence, formatProgress } from "../../lib/format";
import { confidenceChange, type ItemNotes as Notes } from "../../lib/review";
import { StatusBadge } from "../Indicators";
import { ItemNotes } from "./ItemNotes";
import { ReviewTimer, type TimerState } from "./ReviewTimer";

type Props = {
  agenda: Schemas["ReviewAgenda"];
  notes: Notes;
  onNotes: (keyResultId: string, next: { note: string; decision: string }) => void;
  timer: TimerState;
  onTimer: (next: TimerState) => void;
  onClose: () => void;
};

const TYPING = new Set(["INPUT", "TEXTAREA", "SELECT"]);

export function PresenterMode({ agenda, notes, onNotes, timer, onTimer, onClose }: Props) {
  const [index, setIndex] = useState(0);
  const frame = useRef<HTMLDivElement>(null);
  const items = agenda.items;
  const last = Math.max(0, items.length - 1);
  const item = items[Math.min(index, last)];

  useEffect(() => {
    const element = frame.current;
    element?.focus();
    // Full screen where the browser allows it (it needs the click that opened presenter mode); the overlay covers
    // the window either way.
    element?.requestFullscreen?.().catch(() => undefined);
    return () => {
      if (document.fullscreenElement) void document.exitFullscreen().catch(() => undefined);
    };
  }, []);

  const onKeyDown = (event: KeyboardEvent<HTMLDivElement>) => {
    if (event.key === "Escape") {
      event.preventDefault();
      onClose();
      return;
    }
    if (TYPING.has((event.target as HTMLElement).tagName)) return;
    const moves: Partial<Record<string, number>> = { ArrowRight: index + 1, PageDown: index + 1, ArrowLeft: index - 1, PageUp: index - 1, Home: 0, End: last };
    const target = moves[event.key];
    if (target !== undefined) {
      event.preventDefault();
      setIndex(Math.min(last, Math.max(0, target)));
    }
  };

  return (
    <div
      ref={frame}
      role="dialog"
      aria-modal="true"
      aria-labelledby="presenter-heading"
      tabIndex={-1}
      onKeyDown={onKeyDown}
      data-testid="presenter-mode"
      style={{ position: "fixed", inset: 0, zIndex: 300, background: "var(--mantine-color-body)", overflow: "auto", outline: "none" }}
    >
      <Stack gap="lg" p={{ base: "md", sm: "xl" }} maw={1100} mx="auto" mih="100%">
        <Group justify="space-between" wrap="wrap" gap="sm">
          <div>
            <Title order={1} size="h3" id="presenter-heading">
              Review · {agenda.team_name}
            </Title>
            <Text size="sm" c="dimmed" aria-live="polite" data-testid="presenter-position">
              {items.length ? `Item ${index + 1} of ${items.length}` : "Nothing on the agenda"}
            </Text>
          </div>
          <Group gap="sm" wrap="wrap">
            <ReviewTimer state={timer} onChange={onTimer} size="lg" />
            <Button variant="default" onClick={onClose}>
              Leave presenter mode
            </Button>
          </Group>
        </Group>
        {item ? (
          <Paper withBorder p={{ base: "md", sm: "xl" }} component="section" aria-label={item.title} data-testid="presenter-item">
            <Stack gap="md">
              <Group justify="space-between" align="flex-start" wrap="wrap">
                <div style={{ minWidth: 0, flex: "1 1 320px" }}>
                  <Text size="sm" c="dimmed">
                    {item.objective_title}
                  </Text>
                  <Title order={2} fz={{ base: 24, sm: 34 }} lh={1.2}>
                    {item.title}
                  </Title>
                </div>
                <StatusBadge status={item.status} size="md" />
              </Group>
              <Progress value={Math.round(item.progress * 100)} size="lg" aria-label={`Progress ${formatProgress(item.progress)}`} />
              <Text size="lg">
                {item.owner_name} · {formatProgress(item.progress)} of {formatProgress(item.expected_progress)} expected ·
                confidence {formatConfidence(item.latest_confidence)}
                {confidenceChange(item.confidence_drop) ? ` (${confidenceChange(item.confidence_drop)} since the window opened)` : ""}
              </Text>
              <Group gap={6}>
                {item.reasons.map((reason) => (
                  <Badge key={reason} variant="outline" color="gray.8">
                    {reason.replaceAll("_", " ")}
                  </Badge>
                ))}
              </Group>
              <ItemNotes keyResultId={item.key_result_id} title={item.title} notes={notes} onChange={onNotes} size="md" />
            </Stack>
          </Paper>
        ) : (
          <Text>Every key result is on track and checked in.</Text>
        )}
        <Group justify="space-between">
          <Button variant="light" onClick={() => setIndex(Math.max(0, index - 1))} disabled={index === 0}>
            Previous item
          </Button>
          <Text size="xs" c="dimmed">
            ← → to move, Esc to leave
          </Text>
          <Button variant="light" onClick={() => setIndex(Math.min(last, index + 1))} disabled={index >= last}>
            Next item
          </Button>
        </Group>
      </Stack>
    </div>
  );
}
