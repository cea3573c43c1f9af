/** Initiatives (the work and the money): list, create, edit, key-result links, spend. */
import { useQuery, useQueryClient } from "@tanstack/react-query";
import { $api, fetchClient } from "../api/client";
import type { paths } from "../api/schema";
import { collectPages, invalidatePaths, PAGE_LIMIT } from "./shared";
import { withIdempotencyKey, withIfMatch } from "./mutations";

type InitiativeFilters = NonNullable<paths["/api/v1/initiatives"]["get"]["parameters"]["query"]>;

// Spend and links move the initiative lists, the alignment map's spend and the coverage report.
const SPEND_READS = ["/api/v1/initiatives", "/api/v1/cycles"] as const;

export function useInitiatives(filters: InitiativeFilters = {}) {
  const query = { ...filters, limit: PAGE_LIMIT };
  return useQuery({
    queryKey: $api.queryOptions("get", "/api/v1/initiatives", { params: { query } }).queryKey,
    queryFn: ({ signal }) =>
      collectPages((cursor) => fetchClient.GET("/api/v1/initiatives", { params: { query: { ...query, cursor } }, signal })),
  });
}

export function useSpendEntries(initiativeId: string) {
  const init = { params: { path: { initiative_id: initiativeId }, query: { limit: PAGE_LIMIT } } };
  return useQuery({
    queryKey: $api.queryOptions("get", "/api/v1/initiatives/{initiative_id}/spend", init).queryKey,
    queryFn: ({ signal }) =>
      collectPages((cursor) =>
        fetchClient.GET("/api/v1/initiatives/{initiative_id}/spend", {
          params: { path: { initiative_id: initiativeId }, query: { limit: PAGE_LIMIT, cursor } },
          signal,
        }),
      ),
  });
}

export function useCreateInitiative() {
  const queryClient = useQueryClient();
  return withIdempotencyKey(
    $api.useMutation("post", "/api/v1/initiatives", { onSuccess: () => invalidatePaths(queryClient, ...SPEND_READS) }),
  );
}

export function useUpdateInitiative() {
  const queryClient = useQueryClient();
  return withIfMatch(
    $api.useMutation("patch", "/api/v1/initiatives/{initiative_id}", {
    onSuccess: () => invalidatePaths(queryClient, ...SPEND_READS),
  }),
  );
}

export function useLinkInitiative() {
  const queryClient = useQueryClient();
  return withIfMatch(
    $api.useMutation("put", "/api/v1/initiatives/{initiative_id}/key-results", {
    onSuccess: () => invalidatePaths(queryClient, ...SPEND_READS),
  }),
  );
}

export function useRecordSpend() {
  const queryClient = useQueryClient();
  return withIdempotencyKey(
    $api.useMutation("post", "/api/v1/initiatives/{initiative_id}/spend", {
    onSuccess: () => invalidatePaths(queryClient, ...SPEND_READS),
  }),
  );
}
