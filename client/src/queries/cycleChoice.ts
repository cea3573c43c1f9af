/**
 * The cycle every screen shows: the one the person picked last (remembered per person on the server, so it follows
 * them to another browser), else the one the server suggests (where their and their teams' work is), else a
 * sensible one.
 */
import { useCallback, useSyncExternalStore } from "react";
import { $api, fetchClient, type Schemas } from "../api/client";
import { useCycles } from "./okrs";

type Cycle = Schemas["CyclePublic"];
const listeners = new Set<() => void>();
/** The choice made on this page, shown at once while the server stores it (and after, until a reload). */
let chosenHere: string | null = null;

function read(): string | null {
  return chosenHere;
}

export function rememberCycle(cycleId: string): void {
  chosenHere = cycleId;
  listeners.forEach((listener) => listener());
  // A preference: a failure to store it only means the next visit opens on the suggested cycle.
  void fetchClient.PUT("/api/v1/me/cycle", { body: { cycle_id: cycleId } }).catch(() => undefined);
}

/** Forget the page's choice (tests; signing out). */
export function resetCycleChoice(): void {
  chosenHere = null;
  listeners.forEach((listener) => listener());
}

function subscribe(listener: () => void): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

/**
 * The remembered cycle when it still exists; otherwise the suggested one; otherwise the active cycle that contains
 * today (the shortest one, so a quarter wins over its year); otherwise the latest active, then planning, then any.
 */
export function pickCycle(
  cycles: Cycle[],
  remembered: string | null,
  today: string,
  suggested: string | null = null,
): Cycle | null {
  const kept = cycles.find((cycle) => cycle.id === remembered) ?? cycles.find((cycle) => cycle.id === suggested);
  if (kept) return kept;
  const length = (cycle: Cycle) => Date.parse(cycle.end_date) - Date.parse(cycle.start_date);
  const current = cycles
    .filter((cycle) => cycle.state === "active" && cycle.start_date <= today && today <= cycle.end_date)
    .sort((a, b) => length(a) - length(b));
  if (current[0]) return current[0];
  for (const state of ["active", "planning", "closed"] as const) {
    const latest = cycles.filter((cycle) => cycle.state === state).sort((a, b) => b.start_date.localeCompare(a.start_date));
    if (latest[0]) return latest[0];
  }
  return null;
}

export function todayIso(now: Date = new Date()): string {
  const local = new Date(now.getTime() - now.getTimezoneOffset() * 60_000);
  return local.toISOString().slice(0, 10);
}

/** The cycles that contain `cycle` (longer, dates around it): a quarter's year. The server's rule. */
export function enclosingCycles(cycles: Cycle[], cycle: Cycle | null): Cycle[] {
  if (!cycle) return [];
  const span = (c: Cycle) => Date.parse(c.end_date) - Date.parse(c.start_date);
  return cycles.filter(
    (c) => c.id !== cycle.id && c.start_date <= cycle.start_date && c.end_date >= cycle.end_date && span(c) > span(cycle),
  );
}

export function useCycleChoice() {
  const listed = useCycles();
  const saved = $api.useQuery("get", "/api/v1/me/cycle", {}, { staleTime: 60_000, retry: false });
  const here = useSyncExternalStore(subscribe, read, () => null);
  // The screens wait for the person's choice too, so they never open on another cycle first.
  const waiting = saved.isPending && !saved.error;
  const cycles = (waiting ? { ...listed, isPending: true } : listed) as typeof listed;
  const cycle =
    listed.data && !waiting
      ? pickCycle(listed.data.items, here ?? saved.data?.cycle_id ?? null, todayIso(), saved.data?.suggested_cycle_id)
      : null;
  const choose = useCallback((cycleId: string) => rememberCycle(cycleId), []);
  return { cycles, cycle, choose };
}
