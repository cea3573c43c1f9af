/** The comments of an objective or a key result: oldest first, replies one level in, and a box to write one. */
import { Box, Stack, Text, Title } from "@mantine/core";
import { useId, useMemo, useState } from "react";
import { isAdmin, canWrite as mayWrite } from "../../lib/permissions";
import { useMe } from "../../queries/auth";
import { type CommentTarget, nestComments, useComments, useCreateComment } from "../../queries/comments";
import { useDirectory } from "../../queries/directory";
import { Loading, QueryError } from "../QueryState";
import { CommentComposer } from "./CommentComposer";
import { CommentItem, type Viewer } from "./CommentItem";

interface Props {
  targetType: CommentTarget;
  targetId: string;
  /** The heading level: 2 on the objective page, 3 inside a key result's panel. */
  order?: 2 | 3 | 4;
  title?: string;
}

export function CommentThread({ targetType, targetId, order = 2, title = "Comments" }: Props) {
  const comments = useComments(targetType, targetId);
  const me = useMe();
  const directory = useDirectory();
  const create = useCreateComment();
  const [replyTo, setReplyTo] = useState<string | null>(null);
  const reply = useCreateComment();
  const headingId = useId();
  const viewer: Viewer = useMemo(
    () => ({
      memberId: me.data?.member?.id,
      admin: isAdmin(me.data),
      canWrite: mayWrite(me.data),
      memberName: directory.memberName,
      members: directory.members,
    }),
    [me.data, directory],
  );
  const write = (parentId: string | null) => (body: string, clear: () => void) =>
    (parentId ? reply : create).mutate(
      { body: { target_type: targetType, target_id: targetId, body, parent_id: parentId } },
      {
        onSuccess: () => {
          clear();
          if (parentId) setReplyTo(null);
        },
      },
    );

  const threads = nestComments(comments.data?.items ?? []);
  return (
    <Stack component="section" aria-labelledby={headingId} gap="sm">
      <Title order={order} size={order === 2 ? "h3" : "h5"} id={headingId}>
        {title}
        {comments.data ? ` (${comments.data.items.filter((c) => !c.deleted).length})` : ""}
      </Title>
      {comments.error ? (
        <QueryError error={comments.error} onRetry={() => void comments.refetch()} />
      ) : comments.isPending ? (
        <Loading label="Loading comments" />
      ) : threads.length === 0 ? (
        <Text size="sm" c="dimmed">
          No comments yet.
        </Text>
      ) : (
        <Stack gap="md">
          {threads.map(({ comment, replies }) => (
            <Stack key={comment.id} gap="xs">
              <CommentItem
                comment={comment}
                viewer={viewer}
                onReply={comment.deleted ? undefined : () => setReplyTo(comment.id)}
              />
              {(replies.length > 0 || replyTo === comment.id) && (
                <Stack gap="xs" pl="md" ml="xs" style={{ borderLeft: "2px solid var(--mantine-color-gray-3)" }}>
                  {replies.map((item) => (
                    <CommentItem key={item.id} comment={item} viewer={viewer} />
                  ))}
                  {replyTo === comment.id && (
                    <CommentComposer
                      label={`Reply to ${viewer.memberName(comment.author_id)}`}
                      submitLabel="Reply"
                      members={viewer.members}
                      pending={reply.isPending}
                      error={reply.error}
                      onSubmit={write(comment.id)}
                      onCancel={() => {
                        setReplyTo(null);
                        reply.reset();
                      }}
                      autoFocus
                    />
                  )}
                </Stack>
              )}
            </Stack>
          ))}
        </Stack>
      )}
      {viewer.canWrite && (
        <Box>
          <CommentComposer
            label="Write a comment"
            submitLabel="Comment"
            members={viewer.members}
            pending={create.isPending}
            error={create.error}
            onSubmit={write(null)}
          />
        </Box>
      )}
    </Stack>
  );
}
