import { describe, expect, it } from "vitest";
import { eventTypeChoices } from "./eventTypes";

describe("eventTypeChoices", () => {
  it("offers each family once, then every type, both sorted", () => {
    expect(eventTypeChoices(["objective.created", "check_in.created", "objective.archived", "webhook.ping"])).toEqual([
      "check_in.*",
      "objective.*",
      "webhook.*",
      "check_in.created",
      "objective.archived",
      "objective.created",
      "webhook.ping",
    ]);
  });

  it("offers nothing while the catalogue is not read", () => {
    expect(eventTypeChoices([])).toEqual([]);
  });
});
