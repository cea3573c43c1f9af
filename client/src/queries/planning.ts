/** Planning the next cycle: carry-over, templates and KPIs (docs/planning.md). */
import { useQuery, useQueryClient } from "@tanstack/react-query";
import { $api, fetchClient } from "../api/client";
import { collectPages, invalidatePaths, PAGE_LIMIT } from "./shared";
import { withIdempotencyKey, withIfMatch } from "./mutations";

// A carry-over or a template creates objectives and key results in a cycle: every OKR read may change.
const OKR_READS = ["/api/v1/objectives", "/api/v1/key-results", "/api/v1/cycles", "/api/v1/initiatives"] as const;

/** POST carry-over, preview (`dry_run`) or real; a retry of one click replays the first answer. */
export function useCarryOver() {
  const queryClient = useQueryClient();
  return withIdempotencyKey(
    $api.useMutation("post", "/api/v1/cycles/{cycle_id}/carry-over", {
      onSuccess: (result) => (result.dry_run ? undefined : invalidatePaths(queryClient, ...OKR_READS)),
    }),
  );
}

/** The whole library: built-ins first, then the organisation's own. */
export function useTemplates(enabled = true) {
  return useQuery({
    queryKey: $api.queryOptions("get", "/api/v1/templates", { params: { query: { limit: PAGE_LIMIT } } }).queryKey,
    queryFn: ({ signal }) =>
      collectPages((cursor) =>
        fetchClient.GET("/api/v1/templates", { params: { query: { limit: PAGE_LIMIT, cursor } }, signal }),
      ),
    enabled,
    staleTime: 5 * 60_000,
  });
}

export function useApplyTemplate() {
  const queryClient = useQueryClient();
  return withIdempotencyKey(
    $api.useMutation("post", "/api/v1/templates/{template_id}/apply", {
      onSuccess: () => invalidatePaths(queryClient, ...OKR_READS),
    }),
  );
}

export function useSaveTemplate() {
  const queryClient = useQueryClient();
  return withIdempotencyKey(
    $api.useMutation("post", "/api/v1/templates", {
      onSuccess: () => invalidatePaths(queryClient, "/api/v1/templates"),
    }),
  );
}

/** Delete one of the organisation's own templates (the member who saved it, or an admin; built-ins cannot be). */
export function useDeleteTemplate() {
  const queryClient = useQueryClient();
  return $api.useMutation("delete", "/api/v1/templates/{template_id}", {
    onSuccess: () => invalidatePaths(queryClient, "/api/v1/templates"),
  });
}

/** Every KPI of the organisation; archived ones too when asked (the API leaves them out by default). */
export function useKpis(includeArchived = false) {
  const query = includeArchived ? { limit: PAGE_LIMIT, include_archived: true } : { limit: PAGE_LIMIT };
  return useQuery({
    queryKey: $api.queryOptions("get", "/api/v1/kpis", { params: { query } }).queryKey,
    queryFn: ({ signal }) =>
      collectPages((cursor) => fetchClient.GET("/api/v1/kpis", { params: { query: { ...query, cursor } }, signal })),
  });
}

export function useKpi(kpiId: string) {
  return $api.useQuery("get", "/api/v1/kpis/{kpi_id}", { params: { path: { kpi_id: kpiId } } });
}

export function useKpiValues(kpiId: string) {
  const init = { params: { path: { kpi_id: kpiId }, query: { limit: PAGE_LIMIT } } };
  return useQuery({
    queryKey: $api.queryOptions("get", "/api/v1/kpis/{kpi_id}/values", init).queryKey,
    queryFn: ({ signal }) =>
      collectPages((cursor) =>
        fetchClient.GET("/api/v1/kpis/{kpi_id}/values", {
          params: { path: { kpi_id: kpiId }, query: { limit: PAGE_LIMIT, cursor } },
          signal,
        }),
      ),
  });
}

// A KPI's value moves its status, the scoreboard's KPI panel and the key results that follow it.
const KPI_READS = ["/api/v1/kpis", "/api/v1/cycles", "/api/v1/objectives", "/api/v1/key-results"] as const;

export function useCreateKpi() {
  const queryClient = useQueryClient();
  return withIdempotencyKey(
    $api.useMutation("post", "/api/v1/kpis", { onSuccess: () => invalidatePaths(queryClient, ...KPI_READS) }),
  );
}

export function useUpdateKpi() {
  const queryClient = useQueryClient();
  return withIfMatch(
    $api.useMutation("patch", "/api/v1/kpis/{kpi_id}", { onSuccess: () => invalidatePaths(queryClient, ...KPI_READS) }),
  );
}

/** Archive a KPI (DELETE): it takes no values and no new followers; `useUpdateKpi` with `archived: false` restores it. */
export function useArchiveKpi() {
  const queryClient = useQueryClient();
  return withIfMatch(
    $api.useMutation("delete", "/api/v1/kpis/{kpi_id}", { onSuccess: () => invalidatePaths(queryClient, ...KPI_READS) }),
  );
}

export function useRecordKpiValue() {
  const queryClient = useQueryClient();
  return withIdempotencyKey(
    $api.useMutation("post", "/api/v1/kpis/{kpi_id}/values", {
      onSuccess: () => invalidatePaths(queryClient, ...KPI_READS),
    }),
  );
}
