/** Cycles, teams, objectives, key results and check-ins. */
import { useQuery, useQueryClient } from "@tanstack/react-query";
import { $api, fetchClient } from "../api/client";
import type { paths } from "../api/schema";
import { isNetworkError } from "../lib/problem";
import { collectPages, invalidatePaths, PAGE_LIMIT } from "./shared";
import { withIdempotencyKey, withIfMatch } from "./mutations";

type ObjectiveFilters = NonNullable<paths["/api/v1/objectives"]["get"]["parameters"]["query"]>;

// A check-in or an edit moves progress, score and status of key results, their objectives and the cycle's reads
// (scoreboard, health, coverage and alignment map live under /api/v1/cycles/{id}/…).
const OKR_READS = ["/api/v1/objectives", "/api/v1/key-results", "/api/v1/check-ins", "/api/v1/cycles"] as const;

export function useCycles() {
  return useQuery({
    queryKey: $api.queryOptions("get", "/api/v1/cycles", { params: { query: { limit: PAGE_LIMIT } } }).queryKey,
    queryFn: ({ signal }) =>
      collectPages((cursor) =>
        fetchClient.GET("/api/v1/cycles", { params: { query: { limit: PAGE_LIMIT, cursor } }, signal }),
      ),
  });
}

export function useCreateCycle() {
  const queryClient = useQueryClient();
  return withIdempotencyKey(
    $api.useMutation("post", "/api/v1/cycles", {
    onSuccess: () => invalidatePaths(queryClient, "/api/v1/cycles"),
  }),
  );
}

export function useUpdateCycle() {
  const queryClient = useQueryClient();
  return withIfMatch(
    $api.useMutation("patch", "/api/v1/cycles/{cycle_id}", {
    onSuccess: () => invalidatePaths(queryClient, "/api/v1/cycles", ...OKR_READS),
  }),
  );
}


/** Closing grades every key result and freezes check-ins: its own endpoint, not a PATCH of the state. */
export function useCloseCycle() {
  const queryClient = useQueryClient();
  return $api.useMutation("post", "/api/v1/cycles/{cycle_id}/close", {
    onSuccess: () => invalidatePaths(queryClient, "/api/v1/cycles", ...OKR_READS),
  });
}

export function useTeams() {
  return useQuery({
    queryKey: $api.queryOptions("get", "/api/v1/teams", { params: { query: { limit: PAGE_LIMIT } } }).queryKey,
    queryFn: ({ signal }) =>
      collectPages((cursor) =>
        fetchClient.GET("/api/v1/teams", { params: { query: { limit: PAGE_LIMIT, cursor } }, signal }),
      ),
    staleTime: 60_000,
  });
}

export function useCreateTeam() {
  const queryClient = useQueryClient();
  return withIdempotencyKey(
    $api.useMutation("post", "/api/v1/teams", {
    onSuccess: () => invalidatePaths(queryClient, "/api/v1/teams"),
  }),
  );
}

export function useUpdateTeam() {
  const queryClient = useQueryClient();
  return withIfMatch(
    $api.useMutation("patch", "/api/v1/teams/{team_id}", {
    onSuccess: () => invalidatePaths(queryClient, "/api/v1/teams"),
  }),
  );
}

/** Every objective of a cycle (with embedded key results), following the cursors; disabled without a cycle. */
export function useObjectives(filters: ObjectiveFilters | null) {
  const query = { ...filters, limit: PAGE_LIMIT };
  return useQuery({
    queryKey: $api.queryOptions("get", "/api/v1/objectives", { params: { query } }).queryKey,
    queryFn: ({ signal }) =>
      collectPages((cursor) => fetchClient.GET("/api/v1/objectives", { params: { query: { ...query, cursor } }, signal })),
    enabled: filters !== null,
  });
}

export function useObjective(objectiveId: string) {
  return $api.useQuery("get", "/api/v1/objectives/{objective_id}", {
    params: { path: { objective_id: objectiveId } },
  });
}

export function useCreateObjective() {
  const queryClient = useQueryClient();
  return withIdempotencyKey(
    $api.useMutation("post", "/api/v1/objectives", {
    onSuccess: () => invalidatePaths(queryClient, "/api/v1/objectives", "/api/v1/cycles"),
  }),
  );
}

export function useUpdateObjective() {
  const queryClient = useQueryClient();
  return withIfMatch(
    $api.useMutation("patch", "/api/v1/objectives/{objective_id}", {
    onSuccess: () => invalidatePaths(queryClient, "/api/v1/objectives", "/api/v1/cycles"),
  }),
  );
}

export function useArchiveObjective() {
  const queryClient = useQueryClient();
  return withIfMatch(
    $api.useMutation("delete", "/api/v1/objectives/{objective_id}", {
    onSuccess: () => invalidatePaths(queryClient, ...OKR_READS),
  }),
  );
}

export function useCreateKeyResult() {
  const queryClient = useQueryClient();
  return withIdempotencyKey(
    $api.useMutation("post", "/api/v1/key-results", {
    onSuccess: () => invalidatePaths(queryClient, ...OKR_READS),
  }),
  );
}

export function useUpdateKeyResult() {
  const queryClient = useQueryClient();
  return withIfMatch(
    $api.useMutation("patch", "/api/v1/key-results/{key_result_id}", {
    onSuccess: () => invalidatePaths(queryClient, ...OKR_READS),
  }),
  );
}

export function useArchiveKeyResult() {
  const queryClient = useQueryClient();
  return withIfMatch(
    $api.useMutation("delete", "/api/v1/key-results/{key_result_id}", {
    onSuccess: () => invalidatePaths(queryClient, ...OKR_READS),
  }),
  );
}

/** A key result's whole check-in history (corrections and backdated ones included), oldest recorded first. */
export function useCheckInHistory(keyResultId: string) {
  const init = { params: { path: { key_result_id: keyResultId }, query: { limit: PAGE_LIMIT } } };
  return useQuery({
    queryKey: $api.queryOptions("get", "/api/v1/key-results/{key_result_id}/check-ins", init).queryKey,
    queryFn: ({ signal }) =>
      collectPages((cursor) =>
        fetchClient.GET("/api/v1/key-results/{key_result_id}/check-ins", {
          params: { path: { key_result_id: keyResultId }, query: { limit: PAGE_LIMIT, cursor } },
          signal,
        }),
      ),
  });
}

// Check-ins are sent with an Idempotency-Key made once per user action: a retry after a network failure replays
// the first answer instead of recording the value twice.
const retryNetworkTwice = (failures: number, error: unknown) => isNetworkError(error) && failures < 2;

export function useCreateCheckIn() {
  const queryClient = useQueryClient();
  return withIdempotencyKey(
    $api.useMutation("post", "/api/v1/check-ins", {
    retry: retryNetworkTwice,
    onSuccess: () => invalidatePaths(queryClient, ...OKR_READS),
  }),
  );
}

export function useBatchCheckIn() {
  const queryClient = useQueryClient();
  return withIdempotencyKey(
    $api.useMutation("post", "/api/v1/check-ins:batch", {
    retry: retryNetworkTwice,
    onSuccess: () => invalidatePaths(queryClient, ...OKR_READS),
  }),
  );
}
