import { describe, expect, it } from "vitest";
import {
  apiFieldErrors,
  emptySourceDraft,
  integrationChanges,
  sourceBody,
  sourceDraftOf,
  validateConnection,
  validateSource,
  validateSso,
  ssoDraftOf,
} from "./integrationForm";

const http = { ...emptySourceDraft(), name: "crm-pipeline", key_result_id: "kr-1", url: "https://crm.example.com/r" };

describe("data source drafts", () => {
  it("checks what the API checks", () => {
    expect(validateSource({ ...http, name: "CRM Pipeline" }).name).toBeDefined();
    expect(validateSource(http)["source.json_path"]).toBeDefined();
    expect(validateSource({ ...http, json_path: "$.total", url: "ftp://x" })["source.url"]).toBeDefined();
    expect(validateSource({ ...http, json_path: "$.total" })).toEqual({});
    const csv = { ...http, type: "csv" as const, csv_column: "MQLs", csv_row_mode: "number" as const, csv_row: "0" };
    expect(validateSource(csv)["source.csv_row"]).toBeDefined();
    expect(validateSource({ ...csv, csv_row: "-1" })).toEqual({});
    expect(validateSource({ ...http, type: "sql" })).toHaveProperty("source.connection_id");
    expect(validateSource({ ...http, name: "", json_path: "$.a" }, { forPreview: true })).toEqual({});
    const header = { ...http, json_path: "$.a", headers: [{ name: "Bad Name", value: "x" }] };
    expect(validateSource(header)["source.headers.0.name"]).toBeDefined();
  });

  it("builds the source body and sends only what changed", () => {
    const csv = { ...http, type: "csv" as const, csv_column: "MQLs", csv_row_mode: "match" as const, csv_match_column: "Month", csv_match_value: "2026-06" };
    expect(sourceBody(csv)).toEqual({
      kind: "http",
      url: "https://crm.example.com/r",
      format: "csv",
      csv_column: "MQLs",
      csv_match_column: "Month",
      csv_match_value: "2026-06",
      headers: {},
    });
    const kept = { ...http, json_path: "$.a", keep_headers: true };
    expect(sourceBody(kept)).not.toHaveProperty("headers");
    expect(integrationChanges(kept, { ...kept, schedule: "hourly" })).toEqual({ schedule: "hourly" });
    expect(integrationChanges(kept, { ...kept, json_path: "$.b" }).source).toMatchObject({ json_path: "$.b" });
  });

  it("reads a saved integration back, keeping its hidden headers", () => {
    const draft = sourceDraftOf({
      id: "i",
      name: "sheet",
      key_result_id: "kr",
      kpi_id: null,
      schedule: "weekly",
      enabled: true,
      source: { kind: "http", url: "https://s", format: "csv", json_path: null, csv_column: "A", csv_row: 3, csv_match_column: null, csv_match_value: null, header_names: ["Authorization"] },
      status: "ok",
      next_run_at: null,
      last_run_at: null,
      last_success_at: null,
      last_value: null,
      last_error: null,
      failing_since: null,
      consecutive_failures: 0,
      version: 1,
      created_at: "",
      updated_at: "",
    });
    expect(draft).toMatchObject({ type: "csv", csv_row_mode: "number", csv_row: "3", keep_headers: true, schedule: "weekly" });
  });

  it("puts the API's field errors on the form's fields, whatever the source's kind", () => {
    const problem = {
      type: "/problems/validation-error",
      title: "Validation failed",
      status: 422,
      detail: "…",
      errors: [
        { loc: ["body", "source", "http", "url"], message: "bad url", type: "x" },
        { loc: ["body", "source", "json_path"], message: "bad path", type: "x" },
      ],
    };
    expect(apiFieldErrors(problem)).toEqual({ "source.url": "bad url", "source.json_path": "bad path" });
  });
});

describe("other integration forms", () => {
  it("checks connection strings and single sign-on like the API", () => {
    expect(validateConnection({ name: "CRM", description: "", dsn: "mysql://x", allow_weak_tls: false }).dsn).toBeDefined();
    expect(validateConnection({ name: "CRM", description: "", dsn: "postgresql://u:p@h/db", allow_weak_tls: false })).toEqual({});
    const sso = { ...ssoDraftOf(undefined), issuer: "https://accounts.google.com", client_id: "abc" };
    expect(validateSso(sso, false).client_secret).toBeDefined();
    expect(validateSso(sso, true)).toEqual({});
    expect(validateSso({ ...sso, auto_create_members: true }, true).allowed_domains).toBeDefined();
    expect(validateSso({ ...sso, allowed_domains: ["not a domain"] }, true).allowed_domains).toBeDefined();
  });
});
