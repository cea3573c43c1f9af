/** RFC 9457 problems from the API, turned into what the screens show. */
import type { Schemas } from "../api/client";
import { NetworkError } from "./network";

export type Problem = Schemas["Problem"];

export function isProblem(value: unknown): value is Problem {
  return (
    typeof value === "object" &&
    value !== null &&
    typeof (value as Problem).status === "number" &&
    typeof (value as Problem).title === "string"
  );
}

/** Any thrown value (problem body, network failure, bug) as a problem the UI can show. */
export function asProblem(error: unknown): Problem {
  if (isProblem(error)) return error;
  if (isNetworkError(error)) {
    return {
      type: "/problems/network",
      title: "Cannot reach Sightline",
      status: 0,
      detail: "The server did not answer. Check your connection and try again.",
    };
  }
  return {
    type: "/problems/unexpected",
    title: "Something went wrong",
    status: 0,
    detail: error instanceof Error ? error.message : String(error),
  };
}

/** 412: someone saved a newer version since this screen read it. */
export function isConflict(error: unknown): boolean {
  return isProblem(error) && error.status === 412;
}

/** The request got no answer at all (see lib/network.ts); a TypeError from a bug is not one. */
export function isNetworkError(error: unknown): error is NetworkError {
  return error instanceof NetworkError;
}

/**
 * Field errors of a 422 keyed by form field: `["body", "target_value"]` → `target_value`;
 * `["body", "items", 3, "value"]` → `items.3.value`.
 */
export function fieldErrors(error: unknown): Record<string, string> {
  if (!isProblem(error) || !error.errors) return {};
  const result: Record<string, string> = {};
  for (const item of error.errors) {
    const path = item.loc[0] === "body" ? item.loc.slice(1) : item.loc;
    const key = path.join(".") || "_";
    result[key] ??= item.message;
  }
  return result;
}

/** One line for a notification or alert. */
export function problemMessage(error: unknown): string {
  const problem = asProblem(error);
  const fields = problem.errors?.map((item) => item.message) ?? [];
  return fields.length > 0 ? `${problem.detail} ${fields.join("; ")}` : problem.detail;
}
