/** Comments on an objective, a key result or a check-in (docs/comments.md): the thread, write, edit, delete. */
import { useQuery, useQueryClient } from "@tanstack/react-query";
import { $api, fetchClient, type Schemas } from "../api/client";
import { collectPages, invalidatePaths, PAGE_LIMIT, refreshOnConflict } from "./shared";
import { withIdempotencyKey, withIfMatch } from "./mutations";

export type CommentTarget = Schemas["CommentCreate"]["target_type"];

/** The whole thread of a target, oldest first (replies carry their parent_id). */
export function useComments(targetType: CommentTarget, targetId: string) {
  const query = { target_type: targetType, target_id: targetId, limit: PAGE_LIMIT };
  return useQuery({
    queryKey: $api.queryOptions("get", "/api/v1/comments", { params: { query } }).queryKey,
    queryFn: ({ signal }) =>
      collectPages((cursor) => fetchClient.GET("/api/v1/comments", { params: { query: { ...query, cursor } }, signal })),
  });
}

export function useCreateComment() {
  const queryClient = useQueryClient();
  return withIdempotencyKey(
    $api.useMutation("post", "/api/v1/comments", { onSuccess: () => invalidatePaths(queryClient, "/api/v1/comments") }),
  );
}

/** Edit one's own comment against the version read (If-Match); a 412 reads the thread again. */
export function useEditComment() {
  const queryClient = useQueryClient();
  return withIfMatch(
    $api.useMutation("patch", "/api/v1/comments/{comment_id}", {
      onSuccess: () => invalidatePaths(queryClient, "/api/v1/comments"),
      onError: refreshOnConflict(queryClient, "/api/v1/comments"),
    }),
  );
}

export function useDeleteComment() {
  const queryClient = useQueryClient();
  return withIfMatch(
    $api.useMutation("delete", "/api/v1/comments/{comment_id}", {
      onSuccess: () => invalidatePaths(queryClient, "/api/v1/comments"),
      onError: refreshOnConflict(queryClient, "/api/v1/comments"),
    }),
  );
}

/** A thread as shown: top-level comments in order, each with its replies (one level) in order. */
export function nestComments(
  comments: Schemas["CommentPublic"][],
): { comment: Schemas["CommentPublic"]; replies: Schemas["CommentPublic"][] }[] {
  const threads = new Map<string, { comment: Schemas["CommentPublic"]; replies: Schemas["CommentPublic"][] }>();
  for (const comment of comments) {
    if (comment.parent_id === null) threads.set(comment.id, { comment, replies: [] });
    else threads.get(comment.parent_id)?.replies.push(comment);
  }
  return [...threads.values()];
}
