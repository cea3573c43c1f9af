/**
 * The forms of Settings → Integrations: drafts, the API's rules checked before sending (integrations, SQL connections,
 * chat destinations, digests, single sign-on), the request bodies, and the API's field errors keyed like the form.
 */
import type { Schemas } from "../api/client";
import { fieldErrors } from "./problem";
import type { Errors } from "./validation";

export type SourceType = "json" | "csv" | "sql";
export type CsvRow = "last" | "number" | "match";
export type Schedule = Schemas["IntegrationCreate"]["schedule"];

export interface HeaderDraft {
  name: string;
  value: string;
}

export interface SourceDraft {
  name: string;
  key_result_id: string;
  schedule: NonNullable<Schedule>;
  type: SourceType;
  url: string;
  json_path: string;
  csv_column: string;
  csv_row_mode: CsvRow;
  csv_row: string;
  csv_match_column: string;
  csv_match_value: string;
  /** Editing: keep the saved headers (their values are never shown) unless the person replaces them. */
  keep_headers: boolean;
  headers: HeaderDraft[];
  connection_id: string;
  query: string;
}

export const SCHEDULES: { value: NonNullable<Schedule>; label: string }[] = [
  { value: "hourly", label: "Every hour" },
  { value: "daily", label: "Every day" },
  { value: "weekly", label: "Every week" },
];

export function emptySourceDraft(): SourceDraft {
  return {
    name: "",
    key_result_id: "",
    schedule: "daily",
    type: "json",
    url: "",
    json_path: "",
    csv_column: "",
    csv_row_mode: "last",
    csv_row: "",
    csv_match_column: "",
    csv_match_value: "",
    keep_headers: false,
    headers: [],
    connection_id: "",
    query: "",
  };
}

export function sourceDraftOf(integration: Schemas["IntegrationPublic"]): SourceDraft {
  const draft = { ...emptySourceDraft(), name: integration.name, key_result_id: integration.key_result_id ?? "" };
  draft.schedule = integration.schedule;
  const source = integration.source;
  if (source.kind === "sql") return { ...draft, type: "sql", connection_id: source.connection_id, query: source.query };
  const rowMode: CsvRow = source.csv_match_column !== null ? "match" : source.csv_row !== null ? "number" : "last";
  return {
    ...draft,
    type: source.format === "csv" ? "csv" : "json",
    url: source.url,
    json_path: source.json_path ?? "",
    csv_column: source.csv_column ?? "",
    csv_row_mode: rowMode,
    csv_row: source.csv_row === null ? "" : String(source.csv_row),
    csv_match_column: source.csv_match_column ?? "",
    csv_match_value: source.csv_match_value ?? "",
    keep_headers: source.header_names.length > 0,
    headers: [],
  };
}

const LABEL = /^[a-z0-9][a-z0-9_.:-]*$/;
const HEADER_NAME = /^[A-Za-z0-9!#$%&'*+.^_`|~-]+$/;

/** A control character (C0, DEL, or C1 when `c1`): the API refuses them in URLs, header values and strings. */
function hasControl(text: string, c1 = false): boolean {
  for (const char of text) {
    const code = char.charCodeAt(0);
    if (code < 0x20 || code === 0x7f || (c1 && code >= 0x80 && code <= 0x9f)) return true;
  }
  return false;
}

/** http(s)://, then no spaces or control characters (the API's URL pattern). */
function isUrl(text: string): boolean {
  return /^https?:\/\/\S+$/.test(text) && !hasControl(text, true);
}

/** Field errors of a data-source draft (the API's rules); keys as `fieldErrorsOfSource` gives the API's. */
export function validateSource(draft: SourceDraft, { forPreview = false } = {}): Errors {
  const errors: Errors = {};
  if (!forPreview) {
    if (!draft.name) errors.name = "Give the source a label, e.g. crm-pipeline";
    else if (draft.name.length > 100 || !LABEL.test(draft.name))
      errors.name = "Lower-case letters, digits and . _ : - only, starting with a letter or digit";
  }
  if (!draft.key_result_id) errors.key_result_id = "Choose the key result it feeds";
  if (draft.type === "sql") {
    if (!draft.connection_id) errors["source.connection_id"] = "Choose a SQL connection (add one below first)";
    if (!draft.query.trim()) errors["source.query"] = "Write one SELECT returning one number";
    else if (draft.query.length > 10_000) errors["source.query"] = "At most 10,000 characters";
    return errors;
  }
  const url = draft.url.trim();
  if (!url) errors["source.url"] = "Enter the address to read";
  else if (url.length > 2048 || !isUrl(url)) errors["source.url"] = "An https:// address without spaces";
  if (draft.type === "json") {
    if (!draft.json_path.trim()) errors["source.json_path"] = "A JSONPath selecting the value, e.g. $.data.total";
    else if (draft.json_path.length > 500) errors["source.json_path"] = "At most 500 characters";
  } else {
    if (!draft.csv_column.trim()) errors["source.csv_column"] = "The header of the value's column";
    if (draft.csv_row_mode === "number") {
      const row = Number(draft.csv_row);
      if (!Number.isInteger(row) || row === 0 || Math.abs(row) > 100_000)
        errors["source.csv_row"] = "A row number from 1 (or from -1 at the end)";
    }
    if (draft.csv_row_mode === "match") {
      if (!draft.csv_match_column.trim()) errors["source.csv_match_column"] = "The column to look in";
      if (!draft.csv_match_value.trim()) errors["source.csv_match_value"] = "The value that picks the row";
    }
  }
  if (!draft.keep_headers) {
    if (draft.headers.length > 10) errors["source.headers"] = "At most 10 headers";
    draft.headers.forEach((header, index) => {
      if (!HEADER_NAME.test(header.name)) errors[`source.headers.${index}.name`] = "A header name, e.g. Authorization";
      if (!header.value || hasControl(header.value) || header.value.length > 4096)
        errors[`source.headers.${index}.value`] = "The header's value";
    });
  }
  return errors;
}

/** The source as the API takes it; `headers` left out while the saved ones are kept. */
export function sourceBody(draft: SourceDraft): Schemas["HttpSourceInput"] | Schemas["SqlSourceInput"] {
  if (draft.type === "sql") return { kind: "sql", connection_id: draft.connection_id, query: draft.query };
  const body: Schemas["HttpSourceInput"] = { kind: "http", url: draft.url.trim(), format: draft.type };
  if (draft.type === "json") body.json_path = draft.json_path.trim();
  else {
    body.csv_column = draft.csv_column.trim();
    if (draft.csv_row_mode === "number") body.csv_row = Number(draft.csv_row);
    if (draft.csv_row_mode === "match") {
      body.csv_match_column = draft.csv_match_column.trim();
      body.csv_match_value = draft.csv_match_value.trim();
    }
  }
  if (!draft.keep_headers) body.headers = Object.fromEntries(draft.headers.map((header) => [header.name, header.value]));
  return body;
}

export function integrationCreateBody(draft: SourceDraft): Schemas["IntegrationCreate"] {
  return { name: draft.name, key_result_id: draft.key_result_id, schedule: draft.schedule, source: sourceBody(draft) };
}

/** Only what changed: a replaced source makes the worker pull at its next round. */
export function integrationChanges(before: SourceDraft, after: SourceDraft): Schemas["IntegrationUpdate"] {
  const changes: Schemas["IntegrationUpdate"] = {};
  if (after.name !== before.name) changes.name = after.name;
  if (after.schedule !== before.schedule) changes.schedule = after.schedule;
  if (JSON.stringify(sourceBody(after)) !== JSON.stringify(sourceBody(before))) changes.source = sourceBody(after);
  return changes;
}

/**
 * The API's field errors keyed like the form: a schema error inside the source names its kind
 * (`body.source.http.url`), a rule checked afterwards does not (`body.source.url`); both land on `source.url`.
 */
export function apiFieldErrors(error: unknown): Errors {
  const result: Errors = {};
  for (const [key, message] of Object.entries(fieldErrors(error))) {
    const normal = key.replace(/^source\.(http|sql)\./, "source.");
    result[normal] ??= message;
  }
  return result;
}

// SQL connections ---------------------------------------------------------------------------------
export interface ConnectionDraft {
  name: string;
  description: string;
  dsn: string;
  allow_weak_tls: boolean;
}


export function validateConnection(draft: ConnectionDraft): Errors {
  const errors: Errors = {};
  if (!draft.name.trim()) errors.name = "Give the connection a name";
  else if (draft.name.length > 200) errors.name = "At most 200 characters";
  if (!draft.dsn) errors.dsn = "postgresql://user:password@host:5432/database";
  else if (!/^postgres(ql)?:\/\/./.test(draft.dsn) || hasControl(draft.dsn) || draft.dsn.length > 2000)
    errors.dsn = "A PostgreSQL connection string: postgresql://user:password@host:5432/database";
  return errors;
}

// Chat destinations ---------------------------------------------------------------------------------
export type ChatFormat = "slack" | "teams";

export const CHAT_PRESETS: Record<ChatFormat, { label: string; hint: string; placeholder: string; events: string[] }> = {
  slack: {
    label: "Slack",
    hint: "A Slack incoming-webhook URL (Slack app → Incoming Webhooks → Add New Webhook to Workspace)",
    placeholder: "https://hooks.slack.com/services/…",
    events: ["key_result.status_changed", "key_result.checkin_overdue", "integration.failing"],
  },
  teams: {
    label: "Microsoft Teams",
    hint: 'A Teams Workflows URL ("Post to a channel when a webhook request is received")',
    placeholder: "https://prod-00.westeurope.logic.azure.com/workflows/…",
    events: ["key_result.status_changed", "key_result.checkin_overdue", "integration.failing"],
  },
};

export function validateChatUrl(url: string): Errors {
  const trimmed = url.trim();
  if (!trimmed) return { url: "Paste the channel's webhook URL" };
  if (trimmed.length > 2048 || !isUrl(trimmed)) return { url: "An https:// address without spaces" };
  return {};
}

// Single sign-on ------------------------------------------------------------------------------------
export interface SsoDraft {
  issuer: string;
  client_id: string;
  client_secret: string;
  allowed_domains: string[];
  default_role: "viewer" | "member";
  auto_create_members: boolean;
  sso_required: boolean;
  owner_sign_in: boolean;
  enabled: boolean;
}

export function ssoDraftOf(config: Schemas["SsoConfigPublic"] | undefined): SsoDraft {
  return {
    issuer: config?.issuer ?? "",
    client_id: config?.client_id ?? "",
    client_secret: "",
    allowed_domains: config?.allowed_domains ?? [],
    default_role: config?.default_role ?? "member",
    auto_create_members: config?.auto_create_members ?? false,
    sso_required: config?.sso_required ?? false,
    owner_sign_in: config?.owner_sign_in ?? false,
    enabled: config?.enabled ?? true,
  };
}

const DOMAIN = /^([a-z0-9]([a-z0-9-]*[a-z0-9])?\.)+[a-z]{2,63}$/;

export function validateSso(draft: SsoDraft, configured: boolean): Errors {
  const errors: Errors = {};
  if (!draft.issuer.trim()) errors.issuer = "The provider's issuer URL, e.g. https://accounts.google.com";
  else if (!isUrl(draft.issuer.trim())) errors.issuer = "An https:// address without spaces";
  if (!draft.client_id.trim()) errors.client_id = "The client id the provider gave you";
  else if (!/^[\x21-\x7e]+$/.test(draft.client_id.trim())) errors.client_id = "Letters, digits and symbols, no spaces";
  if (!configured && !draft.client_secret) errors.client_secret = "Required when configuring single sign-on";
  const bad = draft.allowed_domains.find((domain) => !DOMAIN.test(domain.toLowerCase()));
  if (bad !== undefined) errors.allowed_domains = `${bad} is not a domain such as acme.com`;
  else if (draft.allowed_domains.length > 50) errors.allowed_domains = "At most 50 domains";
  if (draft.auto_create_members && draft.allowed_domains.length === 0)
    errors.allowed_domains = "Members are created only for allowed domains; list at least one";
  return errors;
}

export function ssoBody(draft: SsoDraft): Schemas["SsoConfigInput"] {
  const body: Schemas["SsoConfigInput"] = {
    issuer: draft.issuer.trim(),
    client_id: draft.client_id.trim(),
    allowed_domains: draft.allowed_domains.map((domain) => domain.toLowerCase()),
    default_role: draft.default_role,
    auto_create_members: draft.auto_create_members,
    sso_required: draft.sso_required,
    owner_sign_in: draft.owner_sign_in,
    enabled: draft.enabled,
  };
  if (draft.client_secret) body.client_secret = draft.client_secret;
  return body;
}

export const WEEKDAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"];
