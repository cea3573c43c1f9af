/**
 * A status badge that explains itself: the gap to expected progress, the organisation's thresholds and the confidence
 * rule (docs/concepts.md), in a card that opens on hover, keyboard focus or tap.
 *
 * How it stays open:
 * - hovered with a mouse, it stays while the pointer is over the badge or the card, and closes a moment after the
 *   pointer really moves elsewhere (the delay lets it cross the gap between badge and card). Only pointer movements
 *   count: content loading above the badge can shift it from under a resting pointer, and the browser then reports the
 *   badge as left although nobody moved — closing on `mouseleave` made the card vanish right after it opened;
 * - clicked, tapped or focused from the keyboard, it is pinned: an outside click or tap, Escape or moving the focus
 *   away closes it, and a second tap on the badge too. A touch's emulated mouse events neither open nor close it.
 */
import { Popover, Stack, Text, UnstyledButton } from "@mantine/core";
import { type ReactNode, useCallback, useEffect, useRef, useState } from "react";
import { type Status, STATUS_LABEL } from "../lib/status";
import { DEFAULT_THRESHOLDS, explainStatus, type StatusFacts } from "../lib/statusExplain";
import { useOrganisation } from "../queries/organisation";

/** Time for the pointer to travel from the badge to its card before the card closes. */
const CLOSE_DELAY_MS = 250;

const isMouse = (pointerType: string) => pointerType === "mouse" || pointerType === "pen";

export function ExplainedStatus({ status, facts, badge }: { status: Status; facts: StatusFacts; badge: ReactNode }) {
  const [opened, setOpened] = useState(false);
  const pinned = useRef(false);
  const closeTimer = useRef<number | undefined>(undefined);
  const lastPointer = useRef("");
  const target = useRef<HTMLButtonElement>(null);
  const card = useRef<HTMLDivElement>(null);
  const organisation = useOrganisation();
  const settings = organisation.data?.organisation.settings;
  const lines = explainStatus(status, facts, { ...DEFAULT_THRESHOLDS, ...settings });

  const cancelClose = useCallback(() => {
    window.clearTimeout(closeTimer.current);
    closeTimer.current = undefined;
  }, []);
  const show = useCallback(
    (pin: boolean) => {
      cancelClose();
      if (pin) pinned.current = true;
      setOpened(true);
    },
    [cancelClose],
  );
  const hide = useCallback(() => {
    cancelClose();
    pinned.current = false;
    setOpened(false);
  }, [cancelClose]);

  // While open from hovering: every real pointer movement either keeps it (over the badge or the card) or starts the
  // close delay (anywhere else).
  useEffect(() => {
    if (!opened) return;
    const onMove = (event: PointerEvent) => {
      if (pinned.current || !isMouse(event.pointerType)) return;
      const over = event.target instanceof Node ? event.target : null;
      if (over && (target.current?.contains(over) || card.current?.contains(over))) cancelClose();
      else if (closeTimer.current === undefined) closeTimer.current = window.setTimeout(hide, CLOSE_DELAY_MS);
    };
    document.addEventListener("pointermove", onMove);
    return () => {
      document.removeEventListener("pointermove", onMove);
      cancelClose();
    };
  }, [opened, cancelClose, hide]);

  return (
    <Popover
      opened={opened}
      onChange={(next) => (next ? show(true) : hide())}
      position="bottom-end"
      withArrow
      shadow="md"
      width={300}
    >
      <Popover.Target>
        <UnstyledButton
          ref={target}
          aria-label={`${STATUS_LABEL[status]}: why?`}
          data-testid="status-explained"
          onPointerEnter={(event) => {
            if (isMouse(event.pointerType)) show(false);
          }}
          onPointerDown={(event) => {
            lastPointer.current = event.pointerType;
          }}
          onClick={() => {
            const touch = lastPointer.current === "touch";
            lastPointer.current = "";
            if (touch && opened && pinned.current) hide();
            else show(true);
          }}
          onFocus={(event) => {
            // Keyboard focus only: a tap focuses the button too, and its click decides.
            if (event.currentTarget.matches(":focus-visible")) show(true);
          }}
          onBlur={(event) => {
            if (!(event.relatedTarget instanceof Node && card.current?.contains(event.relatedTarget))) hide();
          }}
          onKeyDown={(event) => {
            if (event.key === "Escape" && opened) {
              event.stopPropagation();
              hide();
            }
          }}
          style={{ lineHeight: 0 }}
        >
          {badge}
        </UnstyledButton>
      </Popover.Target>
      <Popover.Dropdown ref={card} data-testid="status-explanation">
        <Stack gap={4}>
          {lines.map((line) => (
            <Text key={line} size="sm">
              {line}
            </Text>
          ))}
        </Stack>
      </Popover.Dropdown>
    </Popover>
  );
}
