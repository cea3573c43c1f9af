/** Formatting of values, progress, scores, dates — one definition each, unit-tested. */
import type { Schemas } from "../api/client";

type Metric = Schemas["Metric"];

const LOCALE = "en-GB";

/** A key-result value in its metric: 12,000 leads · 42.5 % · €18,000 · Done. */
export function formatValue(value: number, metric: Metric, unit = "", currency = "EUR"): string {
  switch (metric) {
    case "percent":
      return `${formatNumber(value)} %`;
    case "currency":
      try {
        return new Intl.NumberFormat(LOCALE, {
          style: "currency",
          currency,
          maximumFractionDigits: Math.abs(value) >= 1000 ? 0 : 2,
        }).format(value);
      } catch {
        return `${formatNumber(value)} ${currency}`;
      }
    case "milestone":
      return value >= 1 ? "Done" : "Not done";
    default:
      return unit ? `${formatNumber(value)} ${unit}` : formatNumber(value);
  }
}

/** A key result's value in its own terms: a milestone of several steps counts them, only the last one is done. */
export function formatKeyResultValue(
  keyResult: { metric: Metric; unit?: string | null; target_value: number },
  value: number,
  currency = "EUR",
): string {
  if (keyResult.metric === "milestone" && keyResult.target_value > 1) {
    return value >= keyResult.target_value
      ? "Done"
      : `${formatNumber(value)} of ${formatNumber(keyResult.target_value)} steps`;
  }
  return formatValue(value, keyResult.metric, keyResult.unit ?? "", currency);
}

/** Grouped thousands; two decimals at most below 100, none from 100 up (1,508 leads, not 1,508.15). */
export function formatNumber(value: number): string {
  return new Intl.NumberFormat(LOCALE, { maximumFractionDigits: Math.abs(value) >= 100 ? 0 : 2 }).format(value);
}

/** Short axis labels: 24K, 1.5M. */
export function formatCompact(value: number): string {
  return new Intl.NumberFormat(LOCALE, { notation: "compact", maximumFractionDigits: 1 }).format(value);
}

/** A chart range that starts and ends on round numbers and holds every value. */
export function niceDomain(values: number[]): [number, number] {
  const low = Math.min(...values);
  const high = Math.max(...values);
  // A flat line gets room around it.
  if (low === high) return niceDomain([low - (Math.abs(low) || 1) / 2, high + (Math.abs(high) || 1) / 2]);
  const span = high - low;
  const step = 10 ** Math.floor(Math.log10(span)) / 2;
  return [Math.floor(low / step) * step, Math.ceil(high / step) * step];
}

/** Progress as a whole percentage; progress may leave [0, 1] (over- or under-achievement shows as such). */
export function formatProgress(progress: number | null | undefined): string {
  return formatPercent(progress);
}

/** The 0.0–1.0 grade as OKR practice writes it: one decimal (0.7, 1.0), two when needed (0.85). */
export function formatScore(score: number | null | undefined): string {
  if (score === null || score === undefined || Number.isNaN(score)) return "—";
  const clamped = Math.min(1, Math.max(0, score));
  return clamped.toFixed(clamped > 0 && clamped < 1 && Math.round(clamped * 100) % 10 !== 0 ? 2 : 1);
}

/** Colour band of a score: ≥ 0.7 is a good grade (the committed target with a stretch scores 0.7). */
export function scoreBand(score: number | null | undefined): "good" | "partial" | "low" | "none" {
  if (score === null || score === undefined) return "none";
  if (score >= 0.7) return "good";
  if (score >= 0.4) return "partial";
  return "low";
}

export function formatConfidence(confidence: number | null | undefined): string {
  return confidence === null || confidence === undefined ? "—" : `${confidence}/10`;
}

export function formatDate(iso: string | null | undefined): string {
  if (!iso) return "—";
  // A calendar date is that day wherever one is; a moment is its day in the organisation's zone.
  const dateOnly = iso.length === 10;
  const date = dateOnly ? new Date(`${iso}T00:00:00`) : new Date(iso);
  if (Number.isNaN(date.getTime())) return "—";
  const options: Intl.DateTimeFormatOptions = { day: "numeric", month: "short", year: "numeric" };
  try {
    return new Intl.DateTimeFormat(LOCALE, dateOnly ? options : { ...options, timeZone: getDisplayTimeZone() }).format(date);
  } catch {
    return new Intl.DateTimeFormat(LOCALE, options).format(date);
  }
}

/** The organisation's time zone (its settings), set once the signed-in organisation is known; the browser's until then. */
let displayTimeZone: string | undefined;

export function setDisplayTimeZone(zone: string | null | undefined): void {
  displayTimeZone = zone || undefined;
}

export function getDisplayTimeZone(): string {
  return displayTimeZone ?? Intl.DateTimeFormat().resolvedOptions().timeZone;
}

/**
 * A moment as people read it, in the organisation's time zone: "5 Dec 2026, 14:30" — never raw ISO. When the
 * browser is in another zone the zone's short name follows ("5 Dec 2026, 14:30 CET"), so nobody misreads the hour.
 */
export function formatDateTime(iso: string | null | undefined, zone: string = getDisplayTimeZone()): string {
  if (!iso) return "—";
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return "—";
  const browserZone = Intl.DateTimeFormat().resolvedOptions().timeZone;
  try {
    return new Intl.DateTimeFormat(LOCALE, {
      day: "numeric",
      month: "short",
      year: "numeric",
      hour: "2-digit",
      minute: "2-digit",
      timeZone: zone,
      ...(zone !== browserZone ? { timeZoneName: "short" } : {}),
    }).format(date);
  } catch {
    // An unknown zone name: the browser's own zone rather than an error on the screen.
    return formatDateTime(iso, browserZone);
  }
}

/** A share (0.68) as a whole percentage: "68 %" — the one way percentages are written in the app. */
export function formatPercent(share: number | null | undefined): string {
  if (share === null || share === undefined || Number.isNaN(share)) return "—";
  return `${Math.round(share * 100)} %`;
}

/** "3 days ago", "in 2 hours", "just now" relative to `now`. */
export function formatRelative(iso: string | null | undefined, now: Date = new Date()): string {
  if (!iso) return "never";
  const seconds = Math.round((new Date(iso).getTime() - now.getTime()) / 1000);
  const abs = Math.abs(seconds);
  if (abs < 45) return "just now";
  const units: [Intl.RelativeTimeFormatUnit, number][] = [
    ["year", 365 * 86400],
    ["month", 30 * 86400],
    ["week", 7 * 86400],
    ["day", 86400],
    ["hour", 3600],
    ["minute", 60],
  ];
  const rtf = new Intl.RelativeTimeFormat(LOCALE, { numeric: "auto" });
  for (const [unit, size] of units) {
    if (abs >= size) return rtf.format(Math.round(seconds / size), unit);
  }
  return rtf.format(Math.round(seconds / 60), "minute");
}
