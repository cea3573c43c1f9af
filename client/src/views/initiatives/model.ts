/** What the initiatives screen's parts share: the states and kinds, and the cycle's key results as options. */
import { useMemo } from "react";
import type { Schemas } from "../../api/client";
import { INITIATIVE_KINDS } from "../../components/InitiativeEditor";
import { useCycleChoice } from "../../queries/cycleChoice";
import { useObjectives } from "../../queries/okrs";

export type Initiative = Schemas["InitiativePublic"];
export type State = Initiative["state"];
export type Kind = Initiative["kind"];

export const STATES: { value: State; label: string; color: string }[] = [
  { value: "planned", label: "Planned", color: "gray.8" },
  { value: "in_progress", label: "In progress", color: "indigo.8" },
  { value: "done", label: "Done", color: "teal.9" },
  { value: "dropped", label: "Dropped", color: "red.9" },
];
export const KINDS = INITIATIVE_KINDS;
export const stateOf = (state: string) => STATES.find((item) => item.value === state) ?? STATES[0]!;

/** The chosen cycle's key results as select options ("Objective › Key result"). */
export function useKeyResultOptions() {
  const { cycle } = useCycleChoice();
  const objectives = useObjectives(cycle ? { cycle_id: cycle.id } : null);
  return useMemo(
    () =>
      (objectives.data?.items ?? []).flatMap((objective) =>
        objective.key_results
          .filter((kr) => !kr.archived)
          .map((kr) => ({ value: kr.id, label: `${objective.title} › ${kr.title}` })),
      ),
    [objectives.data],
  );
}
