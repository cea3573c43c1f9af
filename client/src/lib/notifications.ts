/** Notifications to people (docs/notifications.md): kinds and channels in words, the preferences form's rows and
 * what it sends, and the bell's label. Pure logic, unit-tested. */

export type Channel = "in_app" | "email" | "daily_digest" | "off";

/** Every channel the API accepts, in the order the select offers them. */
export const CHANNELS: readonly { value: Channel; label: string }[] = [
  { value: "in_app", label: "In the app" },
  { value: "email", label: "In the app and by email" },
  { value: "daily_digest", label: "In the app and a daily email digest" },
  { value: "off", label: "Off" },
];

/** The kinds the app knows, in the order the preferences page lists them; a kind the service adds later is still
 * listed (after these, by its raw name) so a release of the service never hides a setting. */
const KIND_LABELS: readonly [string, string][] = [
  ["mentioned", "Someone mentions you in a comment"],
  ["comment_on_owned", "A comment on an objective or key result you own"],
  ["key_result_status", "A key result you own changes status"],
  ["objective_status", "An objective you own changes status"],
  ["check_in_due", "A check-in of yours is due"],
  ["team_weekly_summary", "The weekly summary of your team"],
];
const KIND_LABEL = new Map(KIND_LABELS);
const KIND_ORDER = new Map(KIND_LABELS.map(([kind], index) => [kind, index]));

/** A kind in words; an unknown kind falls back to its raw name. */
export function kindLabel(kind: string): string {
  return KIND_LABEL.get(kind) ?? kind;
}

export function isChannel(value: unknown): value is Channel {
  return CHANNELS.some((channel) => channel.value === value);
}

export interface PreferenceRow {
  kind: string;
  label: string;
  channel: Channel;
}

/** One row per kind the API returned: known kinds in their order first, then unknown ones by name. Values that are
 * not a channel the app knows are skipped (nothing could be shown selected for them). */
export function preferenceRows(preferences: Record<string, unknown>): PreferenceRow[] {
  const rank = (kind: string) => KIND_ORDER.get(kind) ?? KIND_LABELS.length;
  return Object.entries(preferences)
    .filter((entry): entry is [string, Channel] => isChannel(entry[1]))
    .sort(([a], [b]) => rank(a) - rank(b) || a.localeCompare(b))
    .map(([kind, channel]) => ({ kind, label: kindLabel(kind), channel }));
}

/** The PUT body: only the kinds whose channel the draft changed (the API keeps the others as they are). */
export function changedPreferences(
  saved: Record<string, unknown>,
  draft: Record<string, Channel>,
): Record<string, Channel> {
  return Object.fromEntries(Object.entries(draft).filter(([kind, channel]) => saved[kind] !== channel));
}

/** The count on the bell's badge: none at zero, "99+" beyond 99. */
export function badgeText(unread: number | undefined): string | null {
  if (!unread || unread <= 0) return null;
  return unread > 99 ? "99+" : String(unread);
}

/** The bell's accessible name, with the count a screen reader user cannot see on the badge. */
export function bellLabel(unread: number | undefined): string {
  if (unread === undefined) return "Notifications";
  if (unread === 0) return "Notifications, none unread";
  return `Notifications, ${unread} unread`;
}

/** Where a notification leads: a path inside the app only (never another origin), else the scoreboard. */
export function appPath(path: string | null | undefined): string {
  return path && path.startsWith("/") && !path.startsWith("//") ? path : "/scoreboard";
}
