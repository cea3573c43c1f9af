/** Objective page: the objective (edited in place with If-Match) and its key results with charts and history. */
import { Anchor, Badge, Breadcrumbs, Button, Group, Modal, Paper, Stack, Text, Title } from "@mantine/core";
import { useDisclosure } from "@mantine/hooks";
import { notifications } from "@mantine/notifications";
import { IconPencil, IconPlus } from "@tabler/icons-react";
import { useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { Link, useNavigate, useParams } from "react-router";
import type { Schemas } from "../api/client";
import { CommentThread } from "../components/comments/CommentThread";
import { EditConflict } from "../components/EditConflict";
import { ConfirmDialog } from "../components/ConfirmDialog";
import { FormProblem } from "../components/FormProblem";
import { KeyResultForm } from "../components/forms/KeyResultForm";
import {
  ObjectiveForm,
  objectiveChanges,
  objectiveDraftOf,
  type ObjectiveDraft,
} from "../components/forms/ObjectiveForm";
import { ProgressBar, ScoreText, StatusBadge } from "../components/Indicators";
import { KeyResultCard } from "../components/KeyResultCard";
import { LineOfSight } from "../components/LineOfSight";
import { ObjectiveInitiatives } from "../components/ObjectiveInitiatives";
import { EmptyState, Loading, QueryError } from "../components/QueryState";
import { rememberCycle } from "../queries/cycleChoice";
import { formatProgress } from "../lib/format";
import { canWrite as mayWrite } from "../lib/permissions";
import { SaveAsTemplateButton } from "../components/SaveAsTemplateButton";
import { fieldErrors, isConflict, isProblem } from "../lib/problem";
import { KIND_LABEL, LEVEL_LABEL } from "../lib/status";
import { emptyKeyResultDraft, keyResultBody } from "../lib/validation";
import { useMe } from "../queries/auth";
import { useDirectory } from "../queries/directory";
import { useArchiveObjective, useCreateKeyResult, useCycles, useObjective, useUpdateObjective } from "../queries/okrs";
import { refreshOnConflict } from "../queries/shared";

export function ObjectiveView() {
  const { objectiveId = "" } = useParams();
  const objective = useObjective(objectiveId);
  const cycles = useCycles();
  const me = useMe();
  const directory = useDirectory();
  const writable = mayWrite(me.data);

  if (objective.error) {
    if (isProblem(objective.error) && (objective.error.status === 404 || objective.error.status === 422)) {
      return (
        <EmptyState title="Objective not found" order={1} action={<Anchor component={Link} to="/scoreboard">Back to the scoreboard</Anchor>}>
          It may have been archived, or the link is wrong.
        </EmptyState>
      );
    }
    return <QueryError error={objective.error} onRetry={() => void objective.refetch()} />;
  }
  // Who may write decides the cards' tabs (and their default): rendered once both are known, so a tab a person
  // clicks never shifts or resets when their permissions arrive after the objective.
  if (objective.isPending || me.isPending) return <Loading label="Loading the objective" />;

  const data = objective.data;
  const cycle = cycles.data?.items.find((item) => item.id === data.cycle_id);
  const currency = me.data?.organisation.settings.currency ?? "EUR";
  const keyResults = data.key_results.filter((keyResult) => !keyResult.archived);

  return (
    <Stack gap="lg">
      <Breadcrumbs aria-label="Breadcrumb">
        <Anchor component={Link} to="/scoreboard" size="sm" onClick={() => rememberCycle(data.cycle_id)}>
          Scoreboard{cycle ? ` · ${cycle.name}` : ""}
        </Anchor>
        <Text size="sm">{directory.teamName(data.team_id)}</Text>
      </Breadcrumbs>

      <ObjectiveHeader objective={data} writable={writable} />

      <LineOfSight objective={data} writable={writable} />

      <section aria-labelledby="key-results-heading">
        <Group justify="space-between" mb="sm">
          <Title order={2} size="h3" id="key-results-heading">
            Key results
          </Title>
          {writable && (
            <Group gap="xs">
              <SaveAsTemplateButton objective={data} />
              <NewKeyResultButton objective={data} cycle={cycle} />
            </Group>
          )}
        </Group>
        {keyResults.length === 0 ? (
          <EmptyState title="No key results yet">
            Key results make the objective measurable: a number to move from a start to a target by the end of the
            cycle, optionally with a stretch and last period's figure.
            {writable && " Next step: “Add key result” above."}
          </EmptyState>
        ) : (
          <Stack>
            {keyResults.map((keyResult) => (
              <KeyResultCard key={keyResult.id} keyResult={keyResult} cycle={cycle} currency={currency} canWrite={writable} />
            ))}
          </Stack>
        )}
      </section>

      <ObjectiveInitiatives objective={data} />

      <CommentThread targetType="objective" targetId={data.id} />
    </Stack>
  );
}

/** Title, badges and figures; "Edit" turns it into a form in place. */
function ObjectiveHeader({ objective, writable }: { objective: Schemas["ObjectivePublic"]; writable: boolean }) {
  const directory = useDirectory();
  const [editing, setEditing] = useState<Schemas["ObjectivePublic"] | null>(null);
  if (editing) return <ObjectiveEditor snapshot={editing} latest={objective} onDone={() => setEditing(null)} onRebase={setEditing} />;
  return (
    <Paper withBorder p="md">
      <Stack gap="sm">
        <Group justify="space-between" align="flex-start">
          <Stack gap={4} style={{ flex: "1 1 260px", minWidth: 0 }}>
            <Title order={1} fz={{ base: "1.5rem", sm: "2rem" }} data-testid="objective-title">
              {objective.title}
            </Title>
            <Group gap={6}>
              <Badge variant="outline" color="gray.8">
                {LEVEL_LABEL[objective.level]}
              </Badge>
              <Badge variant="outline" color={objective.kind === "aspirational" ? "violet.8" : "gray.8"}>
                {KIND_LABEL[objective.kind]}
              </Badge>
              {objective.state !== "active" && (
                <Badge variant="outline" color="gray.8">
                  {objective.state}
                </Badge>
              )}
              <Text size="sm" c="dimmed">
                {directory.memberName(objective.owner_id)} · {directory.teamName(objective.team_id)}
              </Text>
            </Group>
          </Stack>
          <Group gap="xs" ml="auto">
            <StatusBadge
              status={objective.status}
              size="md"
              explain={{ progress: objective.progress, expected: objective.expected_progress, subject: "objective" }}
            />
            {writable && (
              <Button variant="light" leftSection={<IconPencil size={16} aria-hidden />} onClick={() => setEditing(objective)}>
                Edit
              </Button>
            )}
          </Group>
        </Group>
        {objective.description && <Text size="sm">{objective.description}</Text>}
        <Group gap="lg" wrap="wrap">
          <div style={{ flex: "1 1 260px" }}>
            <Text size="xs" c="dimmed">
              Progress (expected by now {formatProgress(objective.expected_progress)})
            </Text>
            <ProgressBar
              progress={objective.progress}
              expected={objective.expected_progress}
              status={objective.status}
              label={`Progress of ${objective.title}`}
            />
          </div>
          <div>
            <Text size="xs" c="dimmed">
              Score
            </Text>
            <span data-testid="objective-score">
              <ScoreText score={objective.score} />
            </span>
          </div>
        </Group>
      </Stack>
    </Paper>
  );
}

/**
 * The edit form sends If-Match with the version read when editing began. When someone saved in between, the API
 * answers 412 and the screen shows what they changed, letting the person discard their edit or re-apply it on top.
 */
function ObjectiveEditor({
  snapshot,
  latest,
  onDone,
  onRebase,
}: {
  snapshot: Schemas["ObjectivePublic"];
  latest: Schemas["ObjectivePublic"];
  onDone: () => void;
  onRebase: (objective: Schemas["ObjectivePublic"]) => void;
}) {
  const update = useUpdateObjective();
  const archive = useArchiveObjective();
  const queryClient = useQueryClient();
  const navigate = useNavigate();
  const [draft, setDraft] = useState<ObjectiveDraft | null>(null);
  const [confirmArchive, archiveDialog] = useDisclosure(false);
  const before = objectiveDraftOf(snapshot);
  const conflict = isConflict(update.error);
  const newer = latest.version !== snapshot.version ? latest : null;

  const save = (next: ObjectiveDraft) => {
    setDraft(next);
    const changes = objectiveChanges(before, next);
    if (Object.keys(changes).length === 0) return onDone();
    update.mutate(
      { params: { path: { objective_id: snapshot.id } }, ifMatch: snapshot, body: changes },
      {
        onSuccess: () => {
          notifications.show({ color: "teal", message: "Objective saved" });
          onDone();
        },
        onError: refreshOnConflict(queryClient, "/api/v1/objectives"),
      },
    );
  };

  return (
    <Paper withBorder p="md" aria-label="Edit objective" component="section">
      <Title order={1} size="h3" mb="sm">
        Edit objective
      </Title>
      {conflict ? (
        <EditConflict
          what="objective"
          testId="edit-conflict"
          theirs={newer ? `The current title is “${newer.title}” (version ${newer.version}).` : null}
          onDiscard={() => {
            update.reset();
            onDone();
          }}
          onRebase={() => {
            if (!newer) return;
            setDraft(null);
            update.reset();
            onRebase(newer);
          }}
        />
      ) : (
        <FormProblem error={update.error} />
      )}
      <ObjectiveForm
        key={snapshot.version}
        initial={draft && !conflict ? draft : before}
        editing
        serverErrors={fieldErrors(update.error)}
        submitting={update.isPending}
        submitLabel="Save objective"
        onSubmit={save}
        onCancel={onDone}
      />
      <Group justify="flex-start" mt="md">
        <Button variant="subtle" color="red" size="xs" onClick={archiveDialog.open}>
          Archive this objective
        </Button>
      </Group>
      <ConfirmDialog
        opened={confirmArchive}
        onClose={archiveDialog.close}
        title="Archive this objective?"
        confirmLabel="Archive"
        pending={archive.isPending}
        error={archive.error}
        onConfirm={() =>
          archive.mutate(
            { params: { path: { objective_id: snapshot.id } }, ifMatch: snapshot },
            { onSuccess: () => void navigate("/scoreboard") },
          )
        }
      >
        It leaves the scoreboard; its key results and check-ins stay in the history.
      </ConfirmDialog>
    </Paper>
  );
}

function NewKeyResultButton({ objective, cycle }: { objective: Schemas["ObjectivePublic"]; cycle: Schemas["CyclePublic"] | undefined }) {
  const [opened, { open, close }] = useDisclosure(false);
  const create = useCreateKeyResult();
  return (
    <>
      <Button leftSection={<IconPlus size={16} aria-hidden />} onClick={open}>
        Add key result
      </Button>
      <Modal opened={opened} onClose={close} title="New key result" size="lg">
        <FormProblem error={create.error} />
        <KeyResultForm
          initial={emptyKeyResultDraft()}
          {...(cycle ? { cycle } : {})}
          serverErrors={fieldErrors(create.error)}
          submitting={create.isPending}
          submitLabel="Create key result"
          onCancel={close}
          onSubmit={(draft) =>
            create.mutate(
              { body: keyResultBody(draft, objective.id) },
              {
                onSuccess: () => {
                  notifications.show({ color: "teal", message: "Key result added" });
                  create.reset();
                  close();
                },
              },
            )
          }
        />
      </Modal>
    </>
  );
}
