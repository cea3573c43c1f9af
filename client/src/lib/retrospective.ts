/** What the retrospective page derives from `GET /cycles/{id}/retrospective`: chart rows and short read-outs. */
import type { Schemas } from "../api/client";
import { formatPercent } from "./format";

type Distribution = Schemas["GradeDistribution"];
type Figures = Schemas["CalibrationFigures"];

const KIND_ORDER: readonly string[] = ["committed", "aspirational"];
const kindRank = (kind: string) => (KIND_ORDER.includes(kind) ? KIND_ORDER.indexOf(kind) : KIND_ORDER.length);

/** "0.0–0.1"; the last bin holds 1.0 too. */
export function binLabel(bin: { low: number; high: number }): string {
  return `${bin.low.toFixed(1)}–${bin.high.toFixed(1)}`;
}

/**
 * One row per score bin with a count per kind (`{ bin: "0.6–0.7", committed: 3, aspirational: 1 }`), the bins in
 * order, for a grouped histogram; kinds without key results are left out of `kinds`.
 */
export function gradeHistogram(distribution: Distribution[]): {
  rows: ({ bin: string } & Record<string, number | string>)[];
  kinds: string[];
} {
  const kinds = distribution
    .filter((item) => item.key_results > 0)
    .map((item) => item.kind)
    .sort((a, b) => kindRank(a) - kindRank(b));
  const bins = new Map<string, { low: number; row: { bin: string } & Record<string, number | string> }>();
  for (const item of distribution) {
    if (!kinds.includes(item.kind)) continue;
    for (const bin of item.bins) {
      const label = binLabel(bin);
      const entry = bins.get(label) ?? { low: bin.low, row: { bin: label, ...Object.fromEntries(kinds.map((k) => [k, 0])) } };
      entry.row[item.kind] = Number(entry.row[item.kind] ?? 0) + bin.count;
      bins.set(label, entry);
    }
  }
  return { rows: [...bins.values()].sort((a, b) => a.low - b.low).map((entry) => entry.row), kinds };
}

/** Who closed the cycle: a member's name for `user:<id>`, "an API key" for `api_key:<id>`, else the actor as is. */
export function actorLabel(actor: string, memberName: (id: string) => string): string {
  const [kind, id] = actor.split(":", 2);
  if (kind === "user" && id) return memberName(id);
  if (kind === "api_key") return "an API key";
  return actor;
}

/** Brier score with three decimals (0.294), "—" without forecasts. */
export function formatBrier(brier: number | null | undefined): string {
  return brier === null || brier === undefined ? "—" : brier.toFixed(3);
}

/** A share as a whole percentage ("64 %"), "—" when there is none. */
export function percent(value: number | null | undefined): string {
  return formatPercent(value);
}

/** Bias (mean confidence − hit rate) in percentage points with its sign: "+12 pts", "−5 pts", "0 pts". */
export function formatBias(bias: number | null | undefined): string {
  if (bias === null || bias === undefined) return "—";
  const points = Math.round(bias * 100);
  return `${points > 0 ? "+" : points < 0 ? "−" : ""}${Math.abs(points)} pts`;
}

export const TENDENCY_LABEL: Record<Schemas["Tendency"], string> = {
  over_confident: "over-confident",
  under_confident: "under-confident",
  calibrated: "calibrated",
};

export const GRADE_FLAG_TEXT: Record<Schemas["GradeFlag"], string> = {
  committed_not_delivered: "Committed key results delivered less than 90 % of their targets on average.",
  aspirational_not_stretched: "Aspirational key results averaged 0.9 or more: the goals were not stretched (aim for about 0.7).",
  aspirational_unrealistic: "Aspirational key results averaged below 0.4: the goals may have been out of reach.",
};

/** Rows for the "confidence against hit rate" chart: whole cycle, mid-cycle only, then each team with forecasts. */
export function calibrationRows(
  calibration: Schemas["CalibrationReport"],
): { label: string; confidence: number; hitRate: number; figures: Figures }[] {
  const row = (label: string, figures: Figures) => ({
    label,
    confidence: Math.round((figures.mean_confidence ?? 0) * 100),
    hitRate: Math.round((figures.hit_rate ?? 0) * 100),
    figures,
  });
  return [
    row("Every check-in", calibration.every_check_in.overall),
    row("Mid-cycle", calibration.mid_cycle.overall),
    ...calibration.every_check_in.teams.map((team) => row(team.name, team)),
  ].filter((item) => item.figures.forecasts > 0);
}

/** Best grade first; objectives without a grade (no key results) last, then by title. */
export function objectivesByScore(objectives: Schemas["ObjectiveGrade"][]): Schemas["ObjectiveGrade"][] {
  return [...objectives].sort(
    (a, b) => (b.score ?? -1) - (a.score ?? -1) || a.title.localeCompare(b.title),
  );
}

/** The histogram in words, for the chart's text alternative: "Committed: 2 at 0.6–0.7, 1 at 0.9–1.0. Aspirational: …" */
export function histogramDescription(
  rows: ({ bin: string } & Record<string, number | string>)[],
  kinds: string[],
): string {
  if (kinds.length === 0) return "No graded key results.";
  return kinds
    .map((kind) => {
      const filled = rows.filter((row) => Number(row[kind] ?? 0) > 0).map((row) => `${row[kind]} at ${row.bin}`);
      const name = kind.charAt(0).toUpperCase() + kind.slice(1);
      return `${name}: ${filled.length ? filled.join(", ") : "none"}.`;
    })
    .join(" ");
}
