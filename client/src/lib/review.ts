/** The review meeting's rules that are not drawing: whose team it opens on, how a confidence change reads, the
 * 15-minute clock, and the items a recorded review keeps. */
import type { Schemas } from "../api/client";

type Team = Pick<Schemas["TeamPublic"], "id" | "name" | "lead_id" | "member_ids">;

/** The person's own team: one they lead, else one they belong to (by name when several); null when in none. */
export function ownTeamId(teams: Team[], userId: string | null | undefined): string | null {
  if (!userId) return null;
  const byName = (a: Team, b: Team) => a.name.localeCompare(b.name);
  const led = teams.filter((team) => team.lead_id === userId).sort(byName);
  if (led[0]) return led[0].id;
  const member = teams.filter((team) => team.member_ids.includes(userId)).sort(byName);
  return member[0]?.id ?? null;
}

/** `confidence_drop` is positive when confidence fell: "−3" for a drop, "+2" for a rise, "" for no change. */
export function confidenceChange(drop: number | null | undefined): string {
  if (!drop) return "";
  return drop > 0 ? `−${drop}` : `+${-drop}`;
}

export const REVIEW_SECONDS = 15 * 60;

/** "14:59"; past the end "−0:42" (over time). */
export function clock(secondsLeft: number): string {
  const over = secondsLeft < 0;
  const total = Math.abs(Math.trunc(secondsLeft));
  const text = `${Math.floor(total / 60)}:${String(total % 60).padStart(2, "0")}`;
  return over ? `−${text}` : text;
}

export type ItemNotes = Record<string, { note: string; decision: string }>;

/** The per-item part of the recorded review: agenda order, only items with a note or a decision. */
export function itemsToRecord(items: { key_result_id: string }[], notes: ItemNotes): Schemas["ReviewItemNote"][] {
  return items.flatMap((item) => {
    const entry = notes[item.key_result_id];
    const note = entry?.note.trim() ?? "";
    const decision = entry?.decision.trim() ?? "";
    if (!note && !decision) return [];
    return [{ key_result_id: item.key_result_id, note, decisions: decision ? [decision] : [] }];
  });
}
