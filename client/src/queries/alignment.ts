/** Alignment: the cycle's map, an objective's line of sight, and the links between objectives. */
import { useQueryClient } from "@tanstack/react-query";
import { $api } from "../api/client";
import { invalidatePaths } from "./shared";
import { withIdempotencyKey } from "./mutations";

export function useAlignmentMap(cycleId: string | null) {
  return $api.useQuery(
    "get",
    "/api/v1/cycles/{cycle_id}/alignment-map",
    { params: { path: { cycle_id: cycleId ?? "" } } },
    { enabled: cycleId !== null },
  );
}

export function useLineOfSight(objectiveId: string) {
  return $api.useQuery("get", "/api/v1/objectives/{objective_id}/line-of-sight", {
    params: { path: { objective_id: objectiveId } },
  });
}

/** The links where this objective is the child (its parents). */
export function useParentLinks(objectiveId: string) {
  return $api.useQuery("get", "/api/v1/alignments", {
    params: { query: { child_objective_id: objectiveId, limit: 200 } },
  });
}

// A link changes roll-ups (progress from children), the map and every line of sight.
const ALIGNMENT_READS = ["/api/v1/alignments", "/api/v1/objectives", "/api/v1/cycles", "/api/v1/key-results"] as const;

export function useCreateAlignment() {
  const queryClient = useQueryClient();
  return withIdempotencyKey(
    $api.useMutation("post", "/api/v1/alignments", {
    onSuccess: () => invalidatePaths(queryClient, ...ALIGNMENT_READS),
  }),
  );
}

export function useRemoveAlignment() {
  const queryClient = useQueryClient();
  return $api.useMutation("delete", "/api/v1/alignments/{alignment_id}", {
    onSuccess: () => invalidatePaths(queryClient, ...ALIGNMENT_READS),
  });
}

/** Coverage of a cycle: what breaks the line of sight (unaligned objectives, work and spend) and spend roll-ups. */
export function useCoverage(cycleId: string | null) {
  return $api.useQuery(
    "get",
    "/api/v1/cycles/{cycle_id}/coverage",
    { params: { path: { cycle_id: cycleId ?? "" } } },
    { enabled: cycleId !== null },
  );
}
