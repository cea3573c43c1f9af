/** What every query module shares: reading every page of a list, and invalidating by path prefix. */
import type { QueryClient } from "@tanstack/react-query";
import type { ApiPath } from "../api/client";
import { isConflict } from "../lib/problem";

/** The API pages lists at 200 items at most; screens that show "everything in a cycle" follow the cursors. */
export const PAGE_LIMIT = 200;
// A guard against a runaway loop; 50 pages of 200 is far beyond any cycle a person reads on one screen.
const MAX_PAGES = 50;

export interface PageOf<T> {
  items: T[];
  next_cursor: string | null;
}

/** Fetch page after page until next_cursor is null; returns one merged page (same shape as one page). */
export async function collectPages<T>(
  fetchPage: (cursor: string | undefined) => Promise<{ data?: PageOf<T>; error?: unknown }>,
): Promise<PageOf<T>> {
  const items: T[] = [];
  let cursor: string | undefined;
  for (let page = 0; page < MAX_PAGES; page += 1) {
    const { data, error } = await fetchPage(cursor);
    if (error !== undefined || data === undefined) throw error ?? new Error("empty response");
    items.push(...data.items);
    if (!data.next_cursor) break;
    cursor = data.next_cursor;
  }
  return { items, next_cursor: null };
}

/**
 * Query keys are `[method, path, init]` (openapi-react-query); invalidate every GET whose path starts with one
 * of these, e.g. "/api/v1/objectives" covers the list and "/api/v1/objectives/{objective_id}".
 */
export function invalidatePaths(queryClient: QueryClient, ...prefixes: ApiPath[]): Promise<void> {
  return queryClient.invalidateQueries({
    predicate: (query) => {
      const [method, path] = query.queryKey;
      return method === "get" && typeof path === "string" && prefixes.some((prefix) => path.startsWith(prefix));
    },
  });
}

/** An edit's onError: after a 412, read the version that won again, so the conflict can show it. */
export function refreshOnConflict(queryClient: QueryClient, ...prefixes: ApiPath[]): (error: unknown) => void {
  return (error) => {
    if (isConflict(error)) void invalidatePaths(queryClient, ...prefixes);
  };
}
