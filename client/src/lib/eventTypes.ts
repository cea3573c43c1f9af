/**
 * What the webhook form offers: each family (`objective.*`) then every type, from the API's catalogue
 * (GET /api/v1/event-types), so a type the service adds appears without a change here.
 */
export function eventTypeChoices(types: readonly string[]): string[] {
  const families = new Set<string>();
  for (const type of types) {
    const dot = type.lastIndexOf(".");
    if (dot > 0) families.add(`${type.slice(0, dot)}.*`);
  }
  return [...[...families].sort(), ...[...types].sort()];
}
