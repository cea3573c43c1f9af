import { describe, expect, it } from "vitest";
import { downloadFileName, importProblems, importSummary } from "./cycleData";

describe("downloadFileName", () => {
  it.each([
    ['attachment; filename="FY2026.zip"', "FY2026.zip"],
    ["attachment; filename=2026-Q1.json", "2026-Q1.json"],
    ["attachment; filename=\"a \\\"quoted\\\" name.zip\"", 'a "quoted" name.zip'],
    ["attachment; filename=\"plain.zip\"; filename*=UTF-8''M%C3%A4rz%202026.zip", "März 2026.zip"],
    ['attachment; filename="../../etc/passwd"', "passwd"],
    ['attachment; filename="C:\\\\temp\\\\x.zip"', "x.zip"],
  ])("reads %j", (header, expected) => {
    expect(downloadFileName(header, "cycle.zip")).toBe(expected);
  });

  it.each([null, "", "attachment", 'attachment; filename=""', "attachment; filename*=UTF-8''%E0%A4%A"])(
    "falls back without a usable name: %j",
    (header) => {
      expect(downloadFileName(header, "cycle.zip")).toBe("cycle.zip");
    },
  );
});

describe("importProblems", () => {
  const problem = (errors: { loc: (string | number)[]; message: string }[]) => ({
    type: "/problems/validation",
    title: "Invalid request",
    status: 422,
    detail: `${errors.length} problems in the files; nothing was written`,
    errors,
  });

  it("lists each problem with its file, spreadsheet row and column, by file then row", () => {
    const rows = importProblems(
      problem([
        { loc: ["body", "check_ins_csv", 2, "checked_in_at"], message: "required" },
        { loc: ["body", "key_results_csv", 4, "target_value"], message: "not a number" },
        { loc: ["body", "key_results_csv", 2, "objective"], message: "no objective titled 'Grow'" },
        { loc: ["body", "objectives_csv", 1, "title"], message: "missing column" },
      ]),
    );
    expect(rows.map((row) => [row.file, row.row, row.column, row.message])).toEqual([
      ["Objectives", 1, "title", "missing column"],
      ["Key results", 2, "objective", "no objective titled 'Grow'"],
      ["Key results", 4, "target_value", "not a number"],
      ["Check-ins", 2, "checked_in_at", "required"],
    ]);
  });

  it("keeps a problem with a whole file (no row) and one outside the files", () => {
    const rows = importProblems(
      problem([
        { loc: ["body", "key_results_csv"], message: "not readable as CSV: field larger than field limit" },
        { loc: ["body"], message: "Field required" },
      ]),
    );
    expect(rows).toHaveLength(2);
    expect(rows[0]).toMatchObject({ field: "key_results_csv", file: "Key results", row: null, column: "" });
    expect(rows[0]!.message).toContain("CSV");
    expect(rows[1]).toEqual({ field: "", file: "Request", row: null, column: "", message: "Field required" });
  });

  it("is empty for anything but a problem with field errors", () => {
    expect(importProblems(new TypeError("Failed to fetch"))).toEqual([]);
    expect(importProblems({ type: "/problems/conflict", title: "Conflict", status: 409, detail: "the cycle is closed" })).toEqual([]);
  });
});

describe("importSummary", () => {
  it("counts what was created, in the singular when one", () => {
    const ref = (n: number) => Array.from({ length: n }, (_, i) => ({ ref: `R${i}`, id: `id-${i}` }));
    expect(importSummary({ objectives: ref(2), key_results: ref(3), check_ins: 1 })).toBe(
      "2 objectives, 3 key results and 1 check-in",
    );
    expect(importSummary({ objectives: [], key_results: ref(1), check_ins: 1200 })).toBe(
      "0 objectives, 1 key result and 1,200 check-ins",
    );
  });
});
