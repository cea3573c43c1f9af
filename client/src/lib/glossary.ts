/** Plain-language explanations of the measures the insight screens show (docs/web-app.md): one wording for
 * every screen, shown by the help tips next to their labels. */
export const GLOSSARY = {
  brier: {
    label: "Forecast accuracy (Brier score)",
    help:
      "How close confidence came to what happened. Each check-in's confidence (say 7/10 = 70 %) is compared with the " +
      "outcome (hit = 1, missed = 0) and the squared gaps are averaged. 0 is perfect; 0.25 is what always answering " +
      "5/10 scores; lower is better.",
  },
  calibration: {
    label: "Calibration",
    help:
      "Whether people's confidence matches how often key results are actually hit. Well calibrated: of the key " +
      "results rated 7/10, about 70 % are hit. Over-confident teams hit less than they said; under-confident ones more.",
  },
  ambition: {
    label: "Ambition",
    help:
      "How far targets reach beyond where the last period ended: a target of 120 after reaching 100 is 20 % " +
      "ambition. Low ambition flags targets that are barely above last period's result (or below it).",
  },
  honesty: {
    label: "Honesty signals",
    help:
      "Patterns that often mean progress is reported late or adjusted: corrections, back-dated check-ins, a flat " +
      "line followed by a late jump, confidence that never moved. They are prompts for a conversation, not verdicts.",
  },
} as const;

export type GlossaryTerm = keyof typeof GLOSSARY;
