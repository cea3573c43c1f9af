/** Three kinds of key result read differently: a target reached along a pace line, a milestone done or not, and a
 * threshold held the whole cycle (no pace line for the last two). */
import type { Schemas } from "../api/client";

export type KeyResultKind = "target" | "milestone" | "threshold";

export function keyResultKind(keyResult: Pick<Schemas["KeyResultPublic"], "metric" | "direction">): KeyResultKind {
  if (keyResult.metric === "milestone") return "milestone";
  return keyResult.direction === "at_least" || keyResult.direction === "at_most" ? "threshold" : "target";
}

/** A threshold holds when the value is on the right side of the target. */
export function thresholdHolds(keyResult: Pick<Schemas["KeyResultPublic"], "direction" | "current_value" | "target_value">): boolean {
  return keyResult.direction === "at_most"
    ? keyResult.current_value <= keyResult.target_value
    : keyResult.current_value >= keyResult.target_value;
}
