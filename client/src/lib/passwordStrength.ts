/**
 * Password strength, estimated by zxcvbn-ts with its common and English dictionaries. The dictionaries weigh about a
 * megabyte, so they load on first use (a chunk of their own), never with the main bundle. The estimate is advice: the
 * API decides (length and its list of common and breached passwords).
 */
import type { ZxcvbnResult } from "@zxcvbn-ts/core";

export interface Strength {
  /** 0 (guessed at once) … 4 (very hard to guess). */
  score: 0 | 1 | 2 | 3 | 4;
  warning: string | null;
  suggestions: string[];
}

export const STRENGTH_LABELS = ["Very weak", "Weak", "Fair", "Strong", "Very strong"] as const;

type Check = (password: string, userInputs: string[]) => ZxcvbnResult;
let loading: Promise<Check> | null = null;

/** The checker, loaded once; every caller shares the one load. */
export function loadStrengthChecker(): Promise<Check> {
  loading ??= Promise.all([
    import("@zxcvbn-ts/core"),
    import("@zxcvbn-ts/language-common"),
    import("@zxcvbn-ts/language-en"),
  ]).then(([core, common, english]) => {
    const factory = new core.ZxcvbnFactory({
      dictionary: { ...common.dictionary, ...english.dictionary },
      graphs: common.adjacencyGraphs,
      translations: english.translations,
    });
    return (password, userInputs) => factory.check(password, userInputs);
  });
  loading.catch(() => {
    loading = null; // a failed chunk load (offline) may be retried later
  });
  return loading;
}

/** The estimate of `password`; `userInputs` (name, email, organisation) count as known words. */
export async function estimateStrength(password: string, userInputs: string[] = []): Promise<Strength> {
  const check = await loadStrengthChecker();
  // Whole inputs ("acme marketing") and their words ("acme", the email's "olivia"): either reused is guessable.
  const lowered = userInputs.map((input) => input.trim().toLowerCase()).filter(Boolean);
  const words = [...lowered, ...lowered.flatMap((input) => input.split(/[^\p{L}\p{N}]+/u))].filter((w) => w.length > 2);
  const result = check(password, words);
  return { score: result.score, warning: result.feedback.warning, suggestions: result.feedback.suggestions };
}
