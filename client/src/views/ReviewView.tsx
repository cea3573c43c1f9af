/** Review: a team's 15-minute agenda — what is at risk or off track, confidence drops, missing check-ins — worst
 * first, with a note and a decision per item, a 15-minute timer and a presenter mode; recording the review keeps
 * all of it (a link to share, a Markdown export) and starts the next window. It opens on the person's own team. */
import { Anchor, Badge, Button, Checkbox, Group, Paper, Select, Stack, Text, Textarea, TextInput, Title } from "@mantine/core";
import { notifications } from "@mantine/notifications";
import { type FormEvent, useState } from "react";
import { Link, useSearchParams } from "react-router";
import type { Schemas } from "../api/client";
import { FormProblem } from "../components/FormProblem";
import { StatusBadge } from "../components/Indicators";
import { EmptyState, Loading, QueryError } from "../components/QueryState";
import { ItemNotes } from "../components/review/ItemNotes";
import { PresenterMode } from "../components/review/PresenterMode";
import { ReviewTimer, TIMER_IDLE, type TimerState } from "../components/review/ReviewTimer";
import { formatConfidence, formatDateTime, formatProgress, formatRelative } from "../lib/format";
import { money } from "../lib/money";
import { canWrite } from "../lib/permissions";
import { confidenceChange, type ItemNotes as Notes, itemsToRecord, ownTeamId } from "../lib/review";
import { useMe } from "../queries/auth";
import { useDirectory } from "../queries/directory";
import { useCycles } from "../queries/okrs";
import { useRecordReview, useReviewAgenda } from "../queries/insights";

export function ReviewView() {
  const directory = useDirectory();
  const me = useMe();
  // The weekly summary opens the review on its team (`?team=<id>`).
  const [params] = useSearchParams();
  const [teamId, setTeamId] = useState<string | null>(params.get("team"));
  const [subTeams, setSubTeams] = useState(true);
  const chosen = teamId ?? ownTeamId(directory.teams, me.data?.member?.id) ?? directory.teams[0]?.id ?? null;
  const agenda = useReviewAgenda(chosen, subTeams);

  return (
    <Stack gap="lg">
      <div>
        <Title order={1}>Review</Title>
        <Text c="dimmed" size="sm">
          A team's 15-minute review: only what needs a conversation, worst first.
        </Text>
      </div>
      <Group align="flex-end">
        <Select
          label="Team"
          data={directory.teams.map((team) => ({ value: team.id, label: team.name }))}
          value={chosen}
          onChange={setTeamId}
          allowDeselect={false}
          searchable
          w={240}
          placeholder={directory.teams.length ? "Pick a team" : "No teams yet"}
        />
        <Checkbox label="Include sub-teams" checked={subTeams} onChange={(e) => setSubTeams(e.currentTarget.checked)} mb={8} />
      </Group>
      {!chosen ? (
        <EmptyState title="No team to review">Create teams in Settings, then review them here.</EmptyState>
      ) : agenda.error ? (
        <QueryError error={agenda.error} onRetry={() => void agenda.refetch()} />
      ) : agenda.isPending ? (
        <Loading label="Preparing the agenda" />
      ) : (
        <Agenda key={`${chosen}:${subTeams}`} agenda={agenda.data} writable={canWrite(me.data)} />
      )}
    </Stack>
  );
}

function Agenda({ agenda, writable }: { agenda: Schemas["ReviewAgenda"]; writable: boolean }) {
  const [notes, setNotes] = useState<Notes>({});
  const [timer, setTimer] = useState<TimerState>(TIMER_IDLE);
  const [presenting, setPresenting] = useState(false);
  // The agenda spans the team's active cycles: when it holds more than one (a quarter and its year), each item
  // names its cycle, so the year's key results are marked as such.
  const cycles = useCycles();
  const cycleNames = new Map((cycles.data?.items ?? []).map((cycle) => [cycle.id, cycle.name]));
  const spansCycles = new Set(agenda.items.map((item) => item.cycle_id)).size > 1;
  const onNotes = (keyResultId: string, next: { note: string; decision: string }) =>
    setNotes((current) => ({ ...current, [keyResultId]: next }));
  return (
    <Stack gap="sm">
      <Group justify="space-between" wrap="wrap" gap="sm">
        <ReviewTimer state={timer} onChange={setTimer} />
        <Button variant="filled" onClick={() => setPresenting(true)} disabled={agenda.items.length === 0}>
          Presenter mode
        </Button>
      </Group>
      <Text size="sm">
        Since {formatDateTime(agenda.since)} ({agenda.since_from.replaceAll("_", " ")}) · {agenda.key_results_reviewed} key
        results looked at · {agenda.items.length} on the agenda
        {agenda.previous_review ? " · last review " : ""}
        {agenda.previous_review && (
          <Anchor component={Link} to={`/reviews/${agenda.previous_review.id}`} size="sm">
            {formatRelative(agenda.previous_review.held_at)}
          </Anchor>
        )}
      </Text>
      {agenda.items.length === 0 ? (
        <EmptyState title="Nothing needs the team's attention">Every key result is on track and checked in.</EmptyState>
      ) : (
        <Stack gap="xs" component="ol" style={{ listStyle: "none", padding: 0, margin: 0 }} aria-label="Agenda">
          {agenda.items.map((item) => (
            <Paper key={item.key_result_id} withBorder p="sm" component="li" data-testid="agenda-item">
              <Group justify="space-between" wrap="wrap" gap="xs">
                <Stack gap={2} style={{ flex: "1 1 280px", minWidth: 0 }}>
                  <Text fw={600}>{item.title}</Text>
                  <Anchor component={Link} to={`/objectives/${item.objective_id}`} size="xs">
                    {item.objective_title}
                  </Anchor>
                  <Group gap={4}>
                    {spansCycles && cycleNames.has(item.cycle_id) && (
                      <Badge size="xs" variant="light" color="gray" c="gray.8" data-testid="agenda-item-cycle">
                        {cycleNames.get(item.cycle_id)}
                      </Badge>
                    )}
                    {item.reasons.map((reason) => (
                      <Badge key={reason} size="xs" variant="outline" color="gray.8">
                        {reason.replaceAll("_", " ")}
                      </Badge>
                    ))}
                  </Group>
                </Stack>
                <Stack gap={2} align="flex-end">
                  <StatusBadge
                    status={item.status}
                    explain={{
                      progress: item.progress,
                      expected: item.expected_progress,
                      confidence: item.latest_confidence,
                      subject: "key_result",
                    }}
                  />
                  <Text size="xs" c="dimmed" data-testid="agenda-item-figures">
                    {item.owner_name} · {formatProgress(item.progress)} of {formatProgress(item.expected_progress)} expected ·
                    confidence {formatConfidence(item.latest_confidence)}
                    {confidenceChange(item.confidence_drop) ? ` (${confidenceChange(item.confidence_drop)})` : ""}
                  </Text>
                </Stack>
              </Group>
              {writable && (
                <details style={{ marginTop: 6 }}>
                  <summary style={{ cursor: "pointer", fontSize: "var(--mantine-font-size-sm)" }}>
                    Note and decision{notes[item.key_result_id]?.note || notes[item.key_result_id]?.decision ? " (written)" : ""}
                  </summary>
                  <ItemNotes keyResultId={item.key_result_id} title={item.title} notes={notes} onChange={onNotes} />
                </details>
              )}
            </Paper>
          ))}
        </Stack>
      )}
      <NewUnalignedWork initiatives={agenda.new_unaligned_initiatives} />
      {writable && (
        <RecordReview
          teamId={agenda.team_id}
          since={agenda.since}
          items={itemsToRecord(agenda.items, notes)}
          onRecorded={() => {
            setNotes({});
            setTimer(TIMER_IDLE);
          }}
        />
      )}
      {presenting && (
        <PresenterMode
          agenda={agenda}
          notes={notes}
          onNotes={onNotes}
          timer={timer}
          onTimer={setTimer}
          onClose={() => setPresenting(false)}
        />
      )}
    </Stack>
  );
}

/** New work nobody has tied to an outcome yet: a question for the review, not a verdict. */
function NewUnalignedWork({ initiatives }: { initiatives: Schemas["NewUnalignedInitiative"][] }) {
  if (initiatives.length === 0) return null;
  return (
    <Paper withBorder p="md" component="section" aria-labelledby="new-unaligned-heading">
      <Title order={2} size="h5" id="new-unaligned-heading">
        New work that moves no key result
      </Title>
      <Text size="sm" c="dimmed" mb="xs">
        Initiatives started since the window opened and linked to no key result: align them, or ask what they are for.
      </Text>
      <Stack gap={4} component="ul" style={{ listStyle: "none", padding: 0, margin: 0 }}>
        {initiatives.map((initiative) => (
          <Group key={initiative.id} component="li" justify="space-between" gap="xs" data-testid="new-unaligned-initiative">
            <Anchor component={Link} to="/initiatives">
              {initiative.title}
            </Anchor>
            <Text size="xs" c="dimmed">
              {initiative.kind} · {initiative.owner_name} · {money(initiative.actual_spend, initiative.currency)} of{" "}
              {money(initiative.planned_budget, initiative.currency)} · added {formatRelative(initiative.created_at)}
            </Text>
          </Group>
        ))}
      </Stack>
    </Paper>
  );
}

function RecordReview({
  teamId,
  since,
  items,
  onRecorded,
}: {
  teamId: string;
  since: string;
  items: Schemas["ReviewItemNote"][];
  onRecorded: () => void;
}) {
  const record = useRecordReview();
  const [notes, setNotes] = useState("");
  const [decision, setDecision] = useState("");
  const [recorded, setRecorded] = useState<Schemas["TeamReviewPublic"] | null>(null);
  const submit = (event: FormEvent) => {
    event.preventDefault();
    record.mutate(
      {
        params: { path: { team_id: teamId } },
        body: { notes: notes.trim(), decisions: decision.trim() ? [decision.trim()] : [], since, items },
      },
      {
        onSuccess: (review) => {
          notifications.show({ color: "teal", message: "Review recorded: the next agenda starts from now" });
          setNotes("");
          setDecision("");
          setRecorded(review);
          onRecorded();
          record.reset();
        },
      },
    );
  };
  return (
    <Paper withBorder p="md" component="form" onSubmit={submit} noValidate aria-label="Record this review">
      <Title order={2} size="h5" mb="xs">
        Record this review
      </Title>
      {recorded && (
        <Text size="sm" mb="xs" data-testid="recorded-review-link">
          Recorded.{" "}
          <Anchor component={Link} to={`/reviews/${recorded.id}`}>
            Open the recorded review
          </Anchor>{" "}
          to share its link or export it as Markdown.
        </Text>
      )}
      <FormProblem error={record.error} />
      <Stack gap="xs">
        <Textarea label="Notes" autosize minRows={2} value={notes} onChange={(e) => setNotes(e.currentTarget.value)} />
        <TextInput label="Decision" placeholder="e.g. Move budget from events to paid search" value={decision} onChange={(e) => setDecision(e.currentTarget.value)} />
        <Group justify="space-between">
          <Text size="xs" c="dimmed">
            {items.length === 1 ? "1 item has" : `${items.length} items have`} a note or decision to keep with the review
          </Text>
          <Button type="submit" loading={record.isPending}>
            Record review
          </Button>
        </Group>
      </Stack>
    </Paper>
  );
}
