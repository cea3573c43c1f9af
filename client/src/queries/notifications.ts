/** The signed-in member's notifications (docs/notifications.md): unread count, inbox, mark read, preferences; and
 * the organisation's mail delivery log (admins). */
import { useInfiniteQuery, useQueryClient } from "@tanstack/react-query";
import { $api, fetchClient, type Schemas } from "../api/client";
import type { Channel } from "../lib/notifications";
import { withIdempotencyKey } from "./mutations";
import { invalidatePaths } from "./shared";

/** The bell polls modestly: once a minute while the page is visible, and when the window regains focus. */
const UNREAD_POLL_MS = 60_000;
/** The inbox loads this many at a time ("Load more" follows `next_cursor`). */
export const INBOX_PAGE = 20;

export function useUnreadCount(enabled: boolean) {
  return $api.useQuery(
    "get",
    "/api/v1/me/notifications/unread-count",
    {},
    { enabled, refetchInterval: UNREAD_POLL_MS, refetchOnWindowFocus: true, staleTime: 10_000 },
  );
}

/** The inbox, newest first, page by page. Its key is the generated one's with a marker in the init: still a GET of
 * this path for `invalidatePaths`, never confused with a plain one-page read (the data here is a list of pages). */
export function useInbox(enabled: boolean) {
  const query = { limit: INBOX_PAGE };
  return useInfiniteQuery({
    queryKey: $api.queryOptions("get", "/api/v1/me/notifications", { params: { query }, pages: true }).queryKey,
    queryFn: async ({ pageParam, signal }) => {
      const { data, error } = await fetchClient.GET("/api/v1/me/notifications", {
        params: { query: { ...query, cursor: pageParam } },
        signal,
      });
      if (error !== undefined) throw error;
      return data;
    },
    initialPageParam: undefined as string | undefined,
    getNextPageParam: (page: Schemas["NotificationPage"]) => page.next_cursor ?? undefined,
    enabled,
    // Read afresh each time the inbox opens: the count polls, the list does not.
    staleTime: 0,
  });
}

const NOTIFICATION_READS = ["/api/v1/me/notifications"] as const;

export function useMarkRead() {
  const queryClient = useQueryClient();
  return withIdempotencyKey(
    $api.useMutation("post", "/api/v1/me/notifications/{notification_id}/read", {
      onSuccess: () => invalidatePaths(queryClient, ...NOTIFICATION_READS),
    }),
  );
}

export function useMarkAllRead() {
  const queryClient = useQueryClient();
  return withIdempotencyKey(
    $api.useMutation("post", "/api/v1/me/notifications/read-all", {
      onSuccess: () => invalidatePaths(queryClient, ...NOTIFICATION_READS),
    }),
  );
}

export function useNotificationPreferences() {
  return $api.useQuery("get", "/api/v1/me/notification-preferences");
}

/** PUT only the kinds that changed; the others keep their channel on the server. */
export function useUpdateNotificationPreferences() {
  const queryClient = useQueryClient();
  const mutation = $api.useMutation("put", "/api/v1/me/notification-preferences", {
    onSuccess: (data) => {
      queryClient.setQueryData($api.queryOptions("get", "/api/v1/me/notification-preferences").queryKey, data);
      return invalidatePaths(queryClient, "/api/v1/me/notification-preferences");
    },
  });
  return {
    ...mutation,
    save: (changes: Record<string, Channel>, options?: { onSuccess?: () => void }) =>
      mutation.mutate({ body: changes }, options),
  };
}

/** The organisation's mail delivery log (admins), newest first, page by page; `status` filters it on the server. */
export function useMailLog(enabled: boolean, status: Schemas["MailMessagePublic"]["status"] | null) {
  const query = { limit: INBOX_PAGE * 2, ...(status ? { status } : {}) };
  return useInfiniteQuery({
    queryKey: $api.queryOptions("get", "/api/v1/mail/messages", { params: { query }, pages: true }).queryKey,
    queryFn: async ({ pageParam, signal }) => {
      const { data, error } = await fetchClient.GET("/api/v1/mail/messages", {
        params: { query: { ...query, cursor: pageParam } },
        signal,
      });
      if (error !== undefined) throw error;
      return data;
    },
    initialPageParam: undefined as string | undefined,
    getNextPageParam: (page: Schemas["MailMessagePage"]) => page.next_cursor ?? undefined,
    enabled,
  });
}
