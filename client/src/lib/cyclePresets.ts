/**
 * Cycle presets for the cycle form: this quarter, next quarter and this year, counted from the organisation's fiscal
 * year start (settings.fiscal_year_start_month, 1 = January). Dates are calendar days (YYYY-MM-DD).
 */
export type PresetKey = "this_quarter" | "next_quarter" | "this_year";

export interface CyclePreset {
  key: PresetKey;
  label: string;
  name: string;
  start_date: string;
  end_date: string;
  /** For quarters: the fiscal year's dates, to find the year cycle it belongs to. */
  year?: { start_date: string; end_date: string };
}

const pad = (n: number) => String(n).padStart(2, "0");
/** The first day of month `month` (0-based, may overflow) of `year`, as a date. */
const first = (year: number, month: number) => new Date(Date.UTC(year, month, 1));
const iso = (day: Date) => `${day.getUTCFullYear()}-${pad(day.getUTCMonth() + 1)}-${pad(day.getUTCDate())}`;
const lastBefore = (day: Date) => iso(new Date(day.getTime() - 86_400_000));

/** A fiscal year is named after the calendar year it ends in ("FY2027" for April 2026 – March 2027). */
function yearName(start: Date, fiscalStart: number): string {
  return fiscalStart === 1 ? String(start.getUTCFullYear()) : `FY${start.getUTCFullYear() + 1}`;
}

export function cyclePresets(today: string, fiscalStartMonth = 1): CyclePreset[] {
  const fiscal = Math.min(12, Math.max(1, Math.trunc(fiscalStartMonth) || 1)) - 1;
  const [y, m] = today.split("-").map(Number);
  const monthIndex = (y ?? 1970) * 12 + ((m ?? 1) - 1);
  const yearStartIndex = monthIndex - ((((monthIndex - fiscal) % 12) + 12) % 12);
  const quarterStartIndex = monthIndex - ((((monthIndex - fiscal) % 3) + 3) % 3);
  const at = (index: number) => first(Math.floor(index / 12), index % 12);

  const quarter = (startIndex: number, key: PresetKey, label: string): CyclePreset => {
    const yearStart = startIndex - ((((startIndex - fiscal) % 12) + 12) % 12);
    const n = (startIndex - yearStart) / 3 + 1;
    const fy = yearName(at(yearStart), fiscal + 1);
    return {
      key,
      label,
      name: `Q${n} ${fy}`,
      start_date: iso(at(startIndex)),
      end_date: lastBefore(at(startIndex + 3)),
      year: { start_date: iso(at(yearStart)), end_date: lastBefore(at(yearStart + 12)) },
    };
  };
  return [
    quarter(quarterStartIndex, "this_quarter", "This quarter"),
    quarter(quarterStartIndex + 3, "next_quarter", "Next quarter"),
    {
      key: "this_year",
      label: "This year",
      name: yearName(at(yearStartIndex), fiscal + 1),
      start_date: iso(at(yearStartIndex)),
      end_date: lastBefore(at(yearStartIndex + 12)),
    },
  ];
}
