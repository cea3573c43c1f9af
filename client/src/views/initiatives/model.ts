/** What the initiatives screen's parts share: the states and kinds, and the cycle's key results as options. */
import { useQueries } from "@tanstack/react-query";
import { $api, fetchClient, type Schemas } from "../../api/client";
import { INITIATIVE_KINDS } from "../../components/InitiativeEditor";
import { enclosingCycles, useCycleChoice } from "../../queries/cycleChoice";
import { collectPages, PAGE_LIMIT } from "../../queries/shared";

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

type ObjectivesPage = { items: Schemas["ObjectivePublic"][] };

/** Every listed objective's live key results as options (module-level: useQueries keeps its result while the
 * lists' data stay the same). */
function keyResultOptions(lists: { data?: ObjectivesPage }[]) {
  return lists.flatMap((list) =>
    (list.data?.items ?? []).flatMap((objective) =>
      objective.key_results
        .filter((kr) => !kr.archived)
        .map((kr) => ({ value: kr.id, label: `${objective.title} › ${kr.title}` })),
    ),
  );
}

/** The key results of the chosen cycle and of the cycles containing it (a quarter's year, whose key results the
 * demo's initiatives fund), as select options ("Objective › Key result"); the objectives lists are the same queries
 * (and cache entries) as the other screens' `useObjectives`. */
export function useKeyResultOptions() {
  const { cycles, cycle } = useCycleChoice();
  const shown = cycle ? [cycle, ...enclosingCycles(cycles.data?.items ?? [], cycle)] : [];
  return useQueries({
    queries: shown.map((c) => {
      const query = { cycle_id: c.id, limit: PAGE_LIMIT };
      return {
        queryKey: $api.queryOptions("get", "/api/v1/objectives", { params: { query } }).queryKey,
        queryFn: ({ signal }: { signal: AbortSignal }) =>
          collectPages((cursor) => fetchClient.GET("/api/v1/objectives", { params: { query: { ...query, cursor } }, signal })),
      };
    }),
    combine: keyResultOptions,
  });
}
