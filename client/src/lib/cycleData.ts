/** Cycle export and CSV import: the download's file name, the import's per-row problems and its summary. */
import type { Schemas } from "../api/client";
import { isProblem } from "./problem";

/** The three files of an import, in the order the dialog shows them (and problems are listed). */
export const IMPORT_FILES = [
  { field: "objectives_csv", label: "Objectives", file: "objectives.csv" },
  { field: "key_results_csv", label: "Key results", file: "key_results.csv" },
  { field: "check_ins_csv", label: "Check-ins", file: "check_ins.csv" },
] as const;

export type ImportField = (typeof IMPORT_FILES)[number]["field"];

/**
 * The file name a `Content-Disposition` header gives (`filename*=UTF-8''…` preferred over `filename="…"`), reduced to
 * a plain name (no folders); `fallback` when there is none.
 */
export function downloadFileName(disposition: string | null | undefined, fallback: string): string {
  if (!disposition) return fallback;
  let name: string | undefined;
  const extended = /filename\*\s*=\s*([^']*)'[^']*'([^;]+)/i.exec(disposition);
  if (extended?.[2]) {
    try {
      name = decodeURIComponent(extended[2].trim());
    } catch {
      name = undefined;
    }
  }
  if (!name) {
    const plain = /filename\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^;]+))/i.exec(disposition);
    name = (plain?.[1] ?? plain?.[2])?.replace(/\\(.)/g, "$1").trim();
  }
  const base = name?.split(/[/\\]/).pop()?.trim();
  return base ? base : fallback;
}

export interface ImportRowProblem {
  field: string;
  /** "Key results" for `key_results_csv`; the field itself when unknown. */
  file: string;
  /** The spreadsheet row (the header is row 1); null for a problem with the whole file. */
  row: number | null;
  column: string;
  message: string;
}

/**
 * The per-row problems of a refused import (a 422 with `loc: ["body", "<file>_csv", <row>, "<column>"]`), ordered by
 * file, then row. Problems that name no file (a malformed body) come last, with the location they carry.
 */
export function importProblems(error: unknown): ImportRowProblem[] {
  if (!isProblem(error) || !error.errors) return [];
  const order = (field: string) => {
    const index = IMPORT_FILES.findIndex((item) => item.field === field);
    return index === -1 ? IMPORT_FILES.length : index;
  };
  return error.errors
    .map((item) => {
      const path = item.loc[0] === "body" ? item.loc.slice(1) : item.loc;
      const field = String(path[0] ?? "");
      const known = IMPORT_FILES.find((file) => file.field === field);
      const row = typeof path[1] === "number" ? path[1] : null;
      return {
        field,
        file: known?.label ?? (field || "Request"),
        row,
        column: String(path[row === null ? 1 : 2] ?? ""),
        message: item.message,
      };
    })
    .sort((a, b) => order(a.field) - order(b.field) || (a.row ?? 0) - (b.row ?? 0));
}

function count(n: number, one: string, many: string): string {
  return `${n.toLocaleString("en-GB")} ${n === 1 ? one : many}`;
}

/** "2 objectives, 3 key results and 1 check-in" */
export function importSummary(result: Schemas["CycleImportResult"]): string {
  return [
    count(result.objectives.length, "objective", "objectives"),
    count(result.key_results.length, "key result", "key results"),
  ].join(", ") + ` and ${count(result.check_ins, "check-in", "check-ins")}`;
}
