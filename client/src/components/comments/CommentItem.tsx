/** One comment: author, time, "edited", the body the API rendered and sanitised (`body_html`), and what the reader
 * may do with it — reply (top level only), edit (own), delete (own; admins any). A deleted comment with replies
 * stays as a tombstone. */
import { Box, Button, Group, Modal, Stack, Text } from "@mantine/core";
import { useDisclosure } from "@mantine/hooks";
import { notifications } from "@mantine/notifications";
import { useState } from "react";
import type { Schemas } from "../../api/client";
import { formatDateTime, formatRelative } from "../../lib/format";
import type { Mentionable } from "../../lib/mentions";
import { problemMessage } from "../../lib/problem";
import { useDeleteComment, useEditComment } from "../../queries/comments";
import { FormProblem } from "../FormProblem";
import { CommentComposer } from "./CommentComposer";

export interface Viewer {
  memberId: string | undefined;
  admin: boolean;
  canWrite: boolean;
  memberName: (id: string) => string;
  members: Mentionable[];
}

export function CommentItem({ comment, viewer, onReply }: { comment: Schemas["CommentPublic"]; viewer: Viewer; onReply?: () => void }) {
  const [editing, setEditing] = useState(false);
  const edit = useEditComment();
  const own = comment.author_id === viewer.memberId;
  const author = viewer.memberName(comment.author_id);
  if (comment.deleted) {
    return (
      <Text size="sm" c="dimmed" fs="italic" data-testid="comment">
        This comment was deleted.
      </Text>
    );
  }
  const save = (body: string) =>
    edit.mutate(
      { params: { path: { comment_id: comment.id } }, ifMatch: comment, body: { body } },
      { onSuccess: () => setEditing(false) },
    );
  return (
    <Stack gap={4} data-testid="comment" aria-label={`Comment by ${author}`} role="article">
      <Group gap="xs">
        <Text size="sm" fw={600}>
          {author}
        </Text>
        <Text size="xs" c="dimmed" title={formatDateTime(comment.created_at)}>
          {formatRelative(comment.created_at)}
        </Text>
        {comment.edited_at && (
          <Text size="xs" c="dimmed" title={`Edited ${formatDateTime(comment.edited_at)}`}>
            (edited)
          </Text>
        )}
      </Group>
      {editing ? (
        <CommentComposer
          label="Edit your comment"
          submitLabel="Save"
          members={viewer.members}
          initial={comment.body}
          pending={edit.isPending}
          error={edit.error}
          onSubmit={save}
          onCancel={() => {
            setEditing(false);
            edit.reset();
          }}
          autoFocus
        />
      ) : (
        // body_html is rendered and sanitised by the API (raw HTML arrives as text, links are checked): the only
        // field ever inserted as HTML.
        <Box className="comment-body" fz="sm" dangerouslySetInnerHTML={{ __html: comment.body_html }} />
      )}
      {!editing && viewer.canWrite && (
        <Group gap={4}>
          {onReply && (
            <Button size="compact-xs" variant="subtle" onClick={onReply}>
              Reply<span className="visually-hidden-label"> to {author}</span>
            </Button>
          )}
          {own && (
            <Button size="compact-xs" variant="subtle" onClick={() => setEditing(true)}>
              Edit<span className="visually-hidden-label"> your comment</span>
            </Button>
          )}
          {(own || viewer.admin) && <DeleteButton comment={comment} author={author} />}
        </Group>
      )}
    </Stack>
  );
}

function DeleteButton({ comment, author }: { comment: Schemas["CommentPublic"]; author: string }) {
  const [opened, { open, close }] = useDisclosure(false);
  const remove = useDeleteComment();
  const confirm = () =>
    remove.mutate(
      { params: { path: { comment_id: comment.id } }, ifMatch: comment },
      {
        onSuccess: () => {
          close();
          notifications.show({ message: "Comment deleted" });
        },
        onError: (error) => notifications.show({ color: "red", title: "Not deleted", message: problemMessage(error) }),
      },
    );
  return (
    <>
      <Button size="compact-xs" variant="subtle" color="red" onClick={open}>
        Delete<span className="visually-hidden-label"> the comment by {author}</span>
      </Button>
      <Modal opened={opened} onClose={close} title="Delete this comment?">
        <Stack>
          <FormProblem error={remove.error} title="Not deleted" />
          <Text size="sm">The words are gone for good. With replies, the thread keeps a line saying it was deleted.</Text>
          <Group justify="flex-end">
            <Button variant="default" onClick={close}>
              Cancel
            </Button>
            <Button color="red.9" loading={remove.isPending} onClick={confirm} data-autofocus>
              Delete comment
            </Button>
          </Group>
        </Stack>
      </Modal>
    </>
  );
}
