/** KPIs: status words and colours, the chart's points and thresholds, and the create/edit form's checks and body. */
import type { Schemas } from "../api/client";

export type KpiStatus = NonNullable<Schemas["KpiPublic"]["status"]>;

export const KPI_STATUS_LABEL: Record<KpiStatus, string> = {
  healthy: "Healthy",
  warning: "Warning",
  critical: "Critical",
};
/** Dark enough for AA contrast on a light or outline badge. */
export const KPI_STATUS_COLOR: Record<KpiStatus, string> = { healthy: "teal.9", warning: "yellow.5", critical: "red.9" };

export function kpiStatusLabel(status: KpiStatus | null | undefined): string {
  return status ? KPI_STATUS_LABEL[status] : "No value yet";
}

/** The chart's points, oldest first (the API lists newest first). */
export function kpiChartPoints(values: Pick<Schemas["KpiValuePublic"], "recorded_at" | "value">[]): { t: number; value: number }[] {
  return values.map((item) => ({ t: Date.parse(item.recorded_at), value: item.value })).sort((a, b) => a.t - b.t);
}

/** The range drawn on the chart: healthy bounds, then critical ones. */
export function kpiThresholds(
  kpi: Pick<Schemas["KpiPublic"], "healthy_min" | "healthy_max" | "critical_min" | "critical_max">,
): { y: number; label: string; color: string }[] {
  const lines: { y: number; label: string; color: string }[] = [];
  if (kpi.healthy_min !== null) lines.push({ y: kpi.healthy_min, label: `Healthy from ${kpi.healthy_min}`, color: "teal.8" });
  if (kpi.healthy_max !== null) lines.push({ y: kpi.healthy_max, label: `Healthy up to ${kpi.healthy_max}`, color: "teal.8" });
  if (kpi.critical_min !== null) lines.push({ y: kpi.critical_min, label: `Critical below ${kpi.critical_min}`, color: "red.8" });
  if (kpi.critical_max !== null) lines.push({ y: kpi.critical_max, label: `Critical above ${kpi.critical_max}`, color: "red.8" });
  return lines;
}

/** "1,000 – 1,500 k€", "at least 1,000 k€", "at most 300 €". */
export function healthyRangeText(kpi: Pick<Schemas["KpiPublic"], "healthy_min" | "healthy_max" | "unit">): string {
  const n = (value: number) => new Intl.NumberFormat("en-GB").format(value);
  const unit = kpi.unit ? ` ${kpi.unit}` : "";
  if (kpi.healthy_min !== null && kpi.healthy_max !== null) return `${n(kpi.healthy_min)} – ${n(kpi.healthy_max)}${unit}`;
  if (kpi.healthy_min !== null) return `at least ${n(kpi.healthy_min)}${unit}`;
  if (kpi.healthy_max !== null) return `at most ${n(kpi.healthy_max)}${unit}`;
  return "not set";
}

/** The form's text fields. */
export interface KpiDraft {
  name: string;
  description: string;
  unit: string;
  direction: "higher_is_better" | "lower_is_better";
  cadence: Schemas["Cadence"];
  team_id: string | null;
  healthy_min: string;
  healthy_max: string;
  critical_min: string;
  critical_max: string;
}

export function kpiDraft(kpi?: Schemas["KpiPublic"]): KpiDraft {
  const text = (value: number | null | undefined) => (value === null || value === undefined ? "" : String(value));
  return {
    name: kpi?.name ?? "",
    description: kpi?.description ?? "",
    unit: kpi?.unit ?? "",
    direction: kpi?.direction ?? "higher_is_better",
    cadence: kpi?.cadence ?? "monthly",
    team_id: kpi?.team_id ?? null,
    healthy_min: text(kpi?.healthy_min),
    healthy_max: text(kpi?.healthy_max),
    critical_min: text(kpi?.critical_min),
    critical_max: text(kpi?.critical_max),
  };
}

const BOUNDS = ["healthy_min", "healthy_max", "critical_min", "critical_max"] as const;

function number(text: string): number | null | "bad" {
  if (text.trim() === "") return null;
  const value = Number(text);
  return Number.isFinite(value) ? value : "bad";
}

/** The API's rules, checked before sending: field → message. */
export function kpiDraftErrors(draft: KpiDraft): Record<string, string> {
  const errors: Record<string, string> = {};
  if (!draft.name.trim()) errors.name = "A KPI needs a name";
  const values: Record<string, number | null> = {};
  for (const key of BOUNDS) {
    const value = number(draft[key]);
    if (value === "bad") errors[key] = "Enter a number";
    else values[key] = value;
  }
  const { healthy_min: hMin, healthy_max: hMax, critical_min: cMin, critical_max: cMax } = values;
  if (draft.direction === "higher_is_better" && hMin === null && !errors.healthy_min)
    errors.healthy_min = "Higher is better: give the healthy floor";
  if (draft.direction === "lower_is_better" && hMax === null && !errors.healthy_max)
    errors.healthy_max = "Lower is better: give the healthy ceiling";
  if (hMin != null && hMax != null && hMin > hMax) errors.healthy_max = "At least the healthy minimum";
  if (cMin != null && hMin != null && cMin > hMin) errors.critical_min = "At most the healthy minimum";
  if (cMax != null && hMax != null && cMax < hMax) errors.critical_max = "At least the healthy maximum";
  return errors;
}

/** The body of POST /kpis (or PATCH: the same fields). */
export function kpiBody(draft: KpiDraft): Schemas["KpiCreate"] {
  const value = (text: string) => {
    const parsed = number(text);
    return parsed === "bad" ? null : parsed;
  };
  return {
    name: draft.name.trim(),
    description: draft.description,
    unit: draft.unit.trim(),
    direction: draft.direction,
    cadence: draft.cadence,
    team_id: draft.team_id,
    healthy_min: value(draft.healthy_min),
    healthy_max: value(draft.healthy_max),
    critical_min: value(draft.critical_min),
    critical_max: value(draft.critical_max),
  };
}
