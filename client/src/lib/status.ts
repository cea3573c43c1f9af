/** Status and level vocabularies: labels and colours shared by every view. */
import type { Schemas } from "../api/client";

export type Status = Schemas["Status"];

export const STATUSES: Status[] = ["off_track", "at_risk", "no_data", "on_track", "done"];

export const STATUS_LABEL: Record<Status, string> = {
  done: "Done",
  on_track: "On track",
  at_risk: "At risk",
  off_track: "Off track",
  no_data: "No data",
};

/** Mantine colour names; every badge also carries the label, so colour is never the only signal. */
export const STATUS_COLOR: Record<Status, string> = {
  done: "teal.9",
  on_track: "#237032", // green 9 gives 4.4:1 under white text; this is 6.1:1
  at_risk: "yellow.5",
  off_track: "red.9",
  no_data: "gray.7",
};

/** Worst first: the order a review reads in. */
export const STATUS_SEVERITY: Record<Status, number> = {
  off_track: 0,
  at_risk: 1,
  no_data: 2,
  on_track: 3,
  done: 4,
};

export const LEVEL_LABEL = { company: "Company", team: "Team", individual: "Individual" } as const;
export const KIND_LABEL = { committed: "Committed", aspirational: "Aspirational" } as const;
export const METRIC_LABEL: Record<Schemas["Metric"], string> = {
  number: "Number",
  percent: "Percent",
  currency: "Currency",
  milestone: "Milestone (done / not done)",
};
export const DIRECTION_LABEL: Record<Schemas["Direction"], string> = {
  increase: "Increase to target",
  decrease: "Decrease to target",
  at_least: "Stay at or above",
  at_most: "Stay at or below",
};
export const CADENCE_LABEL: Record<Schemas["Cadence"], string> = {
  weekly: "Weekly",
  biweekly: "Every two weeks",
  monthly: "Monthly",
  quarterly: "Quarterly",
};
