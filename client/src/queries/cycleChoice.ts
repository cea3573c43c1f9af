/** The cycle every screen shows: the one the person picked last (remembered in this browser), else a sensible one. */
import { useCallback, useSyncExternalStore } from "react";
import type { Schemas } from "../api/client";
import { useCycles } from "./okrs";

type Cycle = Schemas["CyclePublic"];
const STORAGE_KEY = "sightline.cycle";
const listeners = new Set<() => void>();

function read(): string | null {
  try {
    return window.localStorage.getItem(STORAGE_KEY);
  } catch {
    return null;
  }
}

export function rememberCycle(cycleId: string): void {
  try {
    window.localStorage.setItem(STORAGE_KEY, cycleId);
  } catch {
    // Private mode without storage: the choice lasts for this page only.
  }
  listeners.forEach((listener) => listener());
}

function subscribe(listener: () => void): () => void {
  listeners.add(listener);
  const onStorage = (event: StorageEvent) => event.key === STORAGE_KEY && listener();
  window.addEventListener("storage", onStorage);
  return () => {
    listeners.delete(listener);
    window.removeEventListener("storage", onStorage);
  };
}

/**
 * The remembered cycle when it still exists; otherwise the active cycle that contains today (the shortest one, so a
 * quarter wins over its year); otherwise the latest active, then planning, then any cycle.
 */
export function pickCycle(cycles: Cycle[], remembered: string | null, today: string): Cycle | null {
  const kept = cycles.find((cycle) => cycle.id === remembered);
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

export function useCycleChoice() {
  const cycles = useCycles();
  const remembered = useSyncExternalStore(subscribe, read, () => null);
  const cycle = cycles.data ? pickCycle(cycles.data.items, remembered, todayIso()) : null;
  const choose = useCallback((cycleId: string) => rememberCycle(cycleId), []);
  return { cycles, cycle, choose };
}
