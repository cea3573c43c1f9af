/** A recorded team review on its own page: the link a team shares after the meeting, and its Markdown export. */
import { Anchor, Button, Group, List, Paper, Stack, Text, Title } from "@mantine/core";
import { notifications } from "@mantine/notifications";
import { Link, useParams } from "react-router";
import type { Schemas } from "../api/client";
import { StatusBadge } from "../components/Indicators";
import { Loading, QueryError } from "../components/QueryState";
import { formatConfidence, formatDateTime, formatProgress } from "../lib/format";
import { problemMessage } from "../lib/problem";
import { useRecordedReview, useReviewMarkdown } from "../queries/reviews";

function saveText(text: string, fileName: string): void {
  const url = URL.createObjectURL(new Blob([text], { type: "text/markdown" }));
  const link = document.createElement("a");
  link.href = url;
  link.download = fileName;
  link.style.display = "none";
  document.body.append(link);
  link.click();
  link.remove();
  window.setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

export function ReviewRecordView() {
  const { reviewId = "" } = useParams();
  const review = useRecordedReview(reviewId);
  if (review.error) return <QueryError error={review.error} onRetry={() => void review.refetch()} />;
  if (review.isPending) return <Loading label="Loading the review" />;
  return <RecordedReview review={review.data} />;
}

function RecordedReview({ review }: { review: Schemas["TeamReviewPublic"] }) {
  const markdown = useReviewMarkdown();
  const copyLink = () =>
    void navigator.clipboard
      .writeText(window.location.href)
      .then(() => notifications.show({ color: "teal", message: "Link copied" }))
      .catch(() => notifications.show({ color: "red", message: `Copy this address: ${window.location.href}` }));
  const exportMarkdown = () =>
    markdown.mutate(review.id, {
      onSuccess: ({ text, fileName }) => saveText(text, fileName),
      onError: (error) => notifications.show({ color: "red", message: problemMessage(error) }),
    });
  return (
    <Stack gap="lg">
      <div>
        <Anchor component={Link} to="/review" size="sm">
          ← Review
        </Anchor>
        <Title order={1}>Review of {review.team_name}</Title>
        <Text c="dimmed" size="sm">
          Held {formatDateTime(review.held_at)}, covering what changed since {formatDateTime(review.since)} · recorded by {review.actor}
        </Text>
      </div>
      <Group gap="sm">
        <Button variant="light" onClick={copyLink}>
          Copy link
        </Button>
        <Button variant="light" onClick={exportMarkdown} loading={markdown.isPending}>
          Export as Markdown
        </Button>
      </Group>
      {(review.notes || review.decisions.length > 0) && (
        <Paper withBorder p="md" component="section" aria-labelledby="review-notes-heading">
          <Title order={2} size="h5" id="review-notes-heading" mb="xs">
            Notes and decisions
          </Title>
          {review.notes && (
            <Text size="sm" style={{ whiteSpace: "pre-wrap" }}>
              {review.notes}
            </Text>
          )}
          {review.decisions.length > 0 && (
            <List size="sm" mt="xs">
              {review.decisions.map((decision, index) => (
                <List.Item key={index}>{decision}</List.Item>
              ))}
            </List>
          )}
        </Paper>
      )}
      <section aria-labelledby="review-items-heading">
        <Title order={2} size="h5" id="review-items-heading" mb="xs">
          Key results discussed
        </Title>
        {review.items.length === 0 ? (
          <Text size="sm" c="dimmed">
            No item notes were recorded with this review.
          </Text>
        ) : (
          <Stack gap="xs" component="ol" style={{ listStyle: "none", padding: 0, margin: 0 }}>
            {review.items.map((item) => (
              <Paper key={item.key_result_id} withBorder p="sm" component="li" data-testid="recorded-item">
                <Group justify="space-between" wrap="wrap" gap="xs">
                  <div style={{ minWidth: 0, flex: "1 1 280px" }}>
                    <Text fw={600}>{item.title}</Text>
                    <Anchor component={Link} to={`/objectives/${item.objective_id}`} size="xs">
                      {item.objective_title}
                    </Anchor>
                  </div>
                  <Stack gap={2} align="flex-end">
                    <StatusBadge status={item.status} />
                    <Text size="xs" c="dimmed">
                      {item.owner_name} · {formatProgress(item.progress)} · confidence {formatConfidence(item.latest_confidence)} (when recorded)
                    </Text>
                  </Stack>
                </Group>
                {item.note && (
                  <Text size="sm" mt={6} style={{ whiteSpace: "pre-wrap" }}>
                    {item.note}
                  </Text>
                )}
                {item.decisions.map((decision, index) => (
                  <Text key={index} size="sm" mt={6} fw={600}>
                    Decision: {decision}
                  </Text>
                ))}
              </Paper>
            ))}
          </Stack>
        )}
      </section>
    </Stack>
  );
}
