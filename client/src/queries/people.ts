/** People reached by email: "forgot password" links and invitations (docs/invitations.md). */
import { useQuery, useQueryClient } from "@tanstack/react-query";
import { $api, fetchClient } from "../api/client";
import { collectPages, invalidatePaths, PAGE_LIMIT } from "./shared";

/** Ask for a reset link: the API answers 202 whatever the email (nobody learns who has an account). */
export function useAskPasswordReset() {
  return $api.useMutation("post", "/api/v1/password-reset");
}

/** Set the new password with the link's token; every session of the member ends, and nobody is signed in. */
export function useConfirmPasswordReset() {
  return $api.useMutation("post", "/api/v1/password-reset/confirm");
}

/** Open invitations (neither accepted nor revoked), oldest first; admins only. */
export function useInvitations(enabled = true) {
  return useQuery({
    queryKey: $api.queryOptions("get", "/api/v1/invitations", { params: { query: { limit: PAGE_LIMIT } } }).queryKey,
    queryFn: ({ signal }) =>
      collectPages((cursor) =>
        fetchClient.GET("/api/v1/invitations", { params: { query: { limit: PAGE_LIMIT, cursor } }, signal }),
      ),
    enabled,
  });
}

export function useInvite() {
  const queryClient = useQueryClient();
  return $api.useMutation("post", "/api/v1/invitations", {
    onSuccess: () => invalidatePaths(queryClient, "/api/v1/invitations"),
  });
}

export function useResendInvitation() {
  const queryClient = useQueryClient();
  return $api.useMutation("post", "/api/v1/invitations/{invitation_id}/resend", {
    onSuccess: () => invalidatePaths(queryClient, "/api/v1/invitations"),
  });
}

export function useRevokeInvitation() {
  const queryClient = useQueryClient();
  return $api.useMutation("delete", "/api/v1/invitations/{invitation_id}", {
    onSuccess: () => invalidatePaths(queryClient, "/api/v1/invitations"),
  });
}

/** What the accept page shows; the link stays unused. A POST, so the page runs it once as a mutation. */
export function useInvitationPreview() {
  return $api.useMutation("post", "/api/v1/invitations/preview");
}
