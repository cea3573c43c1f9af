/**
 * Gates: the API refuses a session's calls until something is done first (403 `email-verification-required`,
 * `mfa-enrolment-required`). The API client reports each refusal here; the frame of the app shows the way through.
 */
import { useSyncExternalStore } from "react";

export type Gate = "email-verification-required" | "mfa-enrolment-required";

let current = new Set<Gate>();
const listeners = new Set<() => void>();

function publish(next: Set<Gate>): void {
  current = next;
  for (const listener of listeners) listener();
}

export function reportGate(slug: string): void {
  if ((slug === "email-verification-required" || slug === "mfa-enrolment-required") && !current.has(slug)) {
    publish(new Set([...current, slug]));
  }
}

/** The gate was passed (verified, enrolled) or the session changed. */
export function clearGate(gate?: Gate): void {
  if (gate === undefined ? current.size > 0 : current.has(gate)) {
    publish(new Set([...current].filter((item) => gate !== undefined && item !== gate)));
  }
}

export function useGates(): ReadonlySet<Gate> {
  return useSyncExternalStore(
    (listener) => {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    () => current,
  );
}
