/** The organisations a person chose from at sign-in (same email, same password), remembered on this browser so the
 * account menu can offer to switch. Names and ids only — what the API showed after the right password. */
export type KnownOrganisation = { id: string; name: string };

const KEY = "sightline.organisations";

function read(): Record<string, KnownOrganisation[]> {
  try {
    const parsed: unknown = JSON.parse(localStorage.getItem(KEY) ?? "{}");
    return typeof parsed === "object" && parsed !== null ? (parsed as Record<string, KnownOrganisation[]>) : {};
  } catch {
    return {};
  }
}

export function rememberOrganisations(email: string, organisations: KnownOrganisation[]): void {
  try {
    localStorage.setItem(KEY, JSON.stringify({ ...read(), [email.toLowerCase()]: organisations }));
  } catch {
    // Storage full or refused: switching then needs the sign-in page's choice again, nothing breaks.
  }
}

export function knownOrganisations(email: string | null | undefined): KnownOrganisation[] {
  if (!email) return [];
  const list = read()[email.toLowerCase()];
  return Array.isArray(list) ? list.filter((o) => typeof o?.id === "string" && typeof o?.name === "string") : [];
}

/** The 409 of a sign-in whose password opens several organisations: the list to choose from, or null. */
export function organisationChoice(error: unknown): KnownOrganisation[] | null {
  if (typeof error !== "object" || error === null) return null;
  const problem = error as { type?: unknown; organisations?: unknown };
  if (problem.type !== "/problems/organisation-choice" || !Array.isArray(problem.organisations)) return null;
  return problem.organisations as KnownOrganisation[];
}
