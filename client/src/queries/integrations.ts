/** Integrations (admin): data sources and their runs, SQL connections, team digests, single sign-on. */
import { useQuery, useQueryClient } from "@tanstack/react-query";
import { $api, fetchClient } from "../api/client";
import { withIdempotencyKey, withIfMatch } from "./mutations";
import { collectPages, invalidatePaths, PAGE_LIMIT } from "./shared";

const INTEGRATION_READS = ["/api/v1/integrations", "/api/v1/key-results", "/api/v1/objectives"] as const;

export function useIntegrations(enabled: boolean) {
  return useQuery({
    queryKey: $api.queryOptions("get", "/api/v1/integrations", { params: { query: { limit: PAGE_LIMIT } } }).queryKey,
    queryFn: ({ signal }) =>
      collectPages((cursor) =>
        fetchClient.GET("/api/v1/integrations", { params: { query: { limit: PAGE_LIMIT, cursor } }, signal }),
      ),
    enabled,
  });
}

/** Every key result of the organisation's active cycles: what a data source can feed. */
export function useAllKeyResults(enabled: boolean) {
  return useQuery({
    queryKey: $api.queryOptions("get", "/api/v1/key-results", { params: { query: { limit: PAGE_LIMIT } } }).queryKey,
    queryFn: ({ signal }) =>
      collectPages((cursor) =>
        fetchClient.GET("/api/v1/key-results", { params: { query: { limit: PAGE_LIMIT, cursor } }, signal }),
      ),
    enabled,
  });
}

export function useRuns(integrationId: string) {
  return $api.useQuery("get", "/api/v1/integrations/{integration_id}/runs", {
    params: { path: { integration_id: integrationId }, query: { limit: 20 } },
  });
}

export function useCreateIntegration() {
  const queryClient = useQueryClient();
  return withIdempotencyKey(
    $api.useMutation("post", "/api/v1/integrations", { onSuccess: () => invalidatePaths(queryClient, ...INTEGRATION_READS) }),
  );
}

export function useUpdateIntegration() {
  const queryClient = useQueryClient();
  return withIfMatch(
    $api.useMutation("patch", "/api/v1/integrations/{integration_id}", {
      onSettled: () => invalidatePaths(queryClient, ...INTEGRATION_READS),
    }),
  );
}

export function useDeleteIntegration() {
  const queryClient = useQueryClient();
  return withIfMatch(
    $api.useMutation("delete", "/api/v1/integrations/{integration_id}", {
      onSettled: () => invalidatePaths(queryClient, ...INTEGRATION_READS),
    }),
  );
}

export function useRunIntegration() {
  const queryClient = useQueryClient();
  return withIdempotencyKey(
    $api.useMutation("post", "/api/v1/integrations/{integration_id}/run", {
      onSettled: () => invalidatePaths(queryClient, ...INTEGRATION_READS),
    }),
  );
}

/** One pull that records nothing: the value a source gives, or why it fails, before saving it. */
export function usePreviewPull() {
  return withIdempotencyKey($api.useMutation("post", "/api/v1/integrations/preview"));
}

// SQL connections ---------------------------------------------------------------------------------
export function useSqlConnections(enabled: boolean) {
  return useQuery({
    queryKey: $api.queryOptions("get", "/api/v1/sql-connections", { params: { query: { limit: PAGE_LIMIT } } }).queryKey,
    queryFn: ({ signal }) =>
      collectPages((cursor) =>
        fetchClient.GET("/api/v1/sql-connections", { params: { query: { limit: PAGE_LIMIT, cursor } }, signal }),
      ),
    enabled,
  });
}

export function useCreateConnection() {
  const queryClient = useQueryClient();
  return withIdempotencyKey(
    $api.useMutation("post", "/api/v1/sql-connections", { onSuccess: () => invalidatePaths(queryClient, "/api/v1/sql-connections") }),
  );
}

export function useDeleteConnection() {
  const queryClient = useQueryClient();
  return withIfMatch(
    $api.useMutation("delete", "/api/v1/sql-connections/{connection_id}", {
      onSettled: () => invalidatePaths(queryClient, "/api/v1/sql-connections"),
    }),
  );
}

export function useCheckConnection() {
  return withIdempotencyKey($api.useMutation("post", "/api/v1/sql-connections/{connection_id}/check"));
}

// Team digests ------------------------------------------------------------------------------------
export function useDigests(enabled: boolean) {
  return useQuery({
    queryKey: $api.queryOptions("get", "/api/v1/team-digests", { params: { query: { limit: PAGE_LIMIT } } }).queryKey,
    queryFn: ({ signal }) =>
      collectPages((cursor) =>
        fetchClient.GET("/api/v1/team-digests", { params: { query: { limit: PAGE_LIMIT, cursor } }, signal }),
      ),
    enabled,
  });
}

export function useDigestPreview(teamId: string | null) {
  return $api.useQuery("get", "/api/v1/teams/{team_id}/digest", { params: { path: { team_id: teamId ?? "" } } }, { enabled: !!teamId });
}

export function useCreateDigest() {
  const queryClient = useQueryClient();
  return withIdempotencyKey(
    $api.useMutation("post", "/api/v1/team-digests", { onSuccess: () => invalidatePaths(queryClient, "/api/v1/team-digests") }),
  );
}

export function useUpdateDigest() {
  const queryClient = useQueryClient();
  return withIfMatch(
    $api.useMutation("patch", "/api/v1/team-digests/{digest_id}", {
      onSettled: () => invalidatePaths(queryClient, "/api/v1/team-digests"),
    }),
  );
}

export function useDeleteDigest() {
  const queryClient = useQueryClient();
  return withIfMatch(
    $api.useMutation("delete", "/api/v1/team-digests/{digest_id}", {
      onSettled: () => invalidatePaths(queryClient, "/api/v1/team-digests"),
    }),
  );
}

export function useSendDigest() {
  const queryClient = useQueryClient();
  return withIdempotencyKey(
    $api.useMutation("post", "/api/v1/team-digests/{digest_id}/send", {
      onSettled: () => invalidatePaths(queryClient, "/api/v1/team-digests", "/api/v1/webhook-endpoints"),
    }),
  );
}

// Single sign-on ----------------------------------------------------------------------------------
/** The organisation's provider; null when none is configured (the API answers 404). */
export function useSsoConfig(enabled: boolean) {
  return useQuery({
    queryKey: $api.queryOptions("get", "/api/v1/organisation/sso").queryKey,
    queryFn: async ({ signal }) => {
      const { data, error, response } = await fetchClient.GET("/api/v1/organisation/sso", { signal });
      if (response.status === 404) return null;
      if (error !== undefined || data === undefined) throw error ?? new Error("empty response");
      return data;
    },
    enabled,
  });
}

export function usePutSso() {
  const queryClient = useQueryClient();
  return withIfMatch(
    $api.useMutation("put", "/api/v1/organisation/sso", { onSuccess: () => invalidatePaths(queryClient, "/api/v1/organisation/sso") }),
  );
}

export function useDeleteSso() {
  const queryClient = useQueryClient();
  return withIfMatch(
    $api.useMutation("delete", "/api/v1/organisation/sso", {
      onSettled: () => invalidatePaths(queryClient, "/api/v1/organisation/sso"),
    }),
  );
}
