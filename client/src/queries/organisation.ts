/** Organisation settings, members and API keys (settings screens). */
import { useQuery, useQueryClient } from "@tanstack/react-query";
import { $api, fetchClient } from "../api/client";
import { collectPages, invalidatePaths, PAGE_LIMIT } from "./shared";
import { withIdempotencyKey, withIfMatch } from "./mutations";

/**
 * The organisation with the ETag it was read at (its PATCH requires If-Match and the resource has no version field).
 * Its key is the generated one's with a marker in the init: still a GET of this path for `invalidatePaths`, never
 * confused with a plain read of the organisation (the data here has another shape).
 */
export function useOrganisation() {
  return useQuery({
    queryKey: $api.queryOptions("get", "/api/v1/organisation", { withEtag: true }).queryKey,
    queryFn: async ({ signal }) => {
      const { data, error, response } = await fetchClient.GET("/api/v1/organisation", { signal });
      if (error !== undefined) throw error;
      return { organisation: data, etag: response.headers.get("ETag") ?? "*" };
    },
  });
}

export function useUpdateOrganisation() {
  const queryClient = useQueryClient();
  return withIfMatch(
    $api.useMutation("patch", "/api/v1/organisation", {
    onSuccess: () => invalidatePaths(queryClient, "/api/v1/organisation", "/api/v1/me"),
  }),
  );
}

export function useMembers() {
  return useQuery({
    queryKey: $api.queryOptions("get", "/api/v1/members", { params: { query: { limit: PAGE_LIMIT } } }).queryKey,
    queryFn: ({ signal }) =>
      collectPages((cursor) =>
        fetchClient.GET("/api/v1/members", { params: { query: { limit: PAGE_LIMIT, cursor } }, signal }),
      ),
    staleTime: 60_000,
  });
}

export function useAddMember() {
  const queryClient = useQueryClient();
  return withIdempotencyKey(
    $api.useMutation("post", "/api/v1/members", {
    onSuccess: () => invalidatePaths(queryClient, "/api/v1/members"),
  }),
  );
}

export function useUpdateMember() {
  const queryClient = useQueryClient();
  return $api.useMutation("patch", "/api/v1/members/{member_id}", {
    onSuccess: () => invalidatePaths(queryClient, "/api/v1/members"),
  });
}

export function useRemoveMember() {
  const queryClient = useQueryClient();
  return $api.useMutation("delete", "/api/v1/members/{member_id}", {
    onSuccess: () => invalidatePaths(queryClient, "/api/v1/members"),
  });
}

/**
 * An admin gives a member a new generated password (shown once). No Idempotency-Key: the API never replays a
 * shown-once secret (a repeated key answers 409), and the dialog's button is disabled while the reset runs.
 */
export function useResetMemberPassword() {
  return $api.useMutation("post", "/api/v1/members/{member_id}/password-reset");
}

export function useApiKeys() {
  return useQuery({
    queryKey: $api.queryOptions("get", "/api/v1/api-keys", { params: { query: { limit: PAGE_LIMIT } } }).queryKey,
    queryFn: ({ signal }) =>
      collectPages((cursor) =>
        fetchClient.GET("/api/v1/api-keys", { params: { query: { limit: PAGE_LIMIT, cursor } }, signal }),
      ),
  });
}

export function useCreateApiKey() {
  const queryClient = useQueryClient();
  return withIdempotencyKey(
    $api.useMutation("post", "/api/v1/api-keys", {
    onSuccess: () => invalidatePaths(queryClient, "/api/v1/api-keys"),
  }),
  );
}

export function useRevokeApiKey() {
  const queryClient = useQueryClient();
  return $api.useMutation("delete", "/api/v1/api-keys/{key_id}", {
    onSuccess: () => invalidatePaths(queryClient, "/api/v1/api-keys"),
  });
}
