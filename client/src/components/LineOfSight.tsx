/** The objective's line of sight up to the company, its alignment links, and aligning it to a parent. */
import { Alert, Anchor, Badge, Button, Group, Modal, NumberInput, Paper, SegmentedControl, Select, Stack, Text, Title } from "@mantine/core";
import { useDisclosure } from "@mantine/hooks";
import { notifications } from "@mantine/notifications";
import { IconArrowUp } from "@tabler/icons-react";
import { type FormEvent, Fragment, useState } from "react";
import { Link } from "react-router";
import type { Schemas } from "../api/client";
import { fieldErrors, problemMessage } from "../lib/problem";
import { formatPercent } from "../lib/format";
import { useCreateAlignment, useLineOfSight, useParentLinks, useRemoveAlignment } from "../queries/alignment";
import { useObjectives } from "../queries/okrs";
import { FormProblem } from "./FormProblem";
import { StatusBadge } from "./Indicators";
import { Loading, QueryError } from "./QueryState";

/** Why a chain stops short of the company, as the API's `stop_reason` says. */
const STOP_REASONS: Record<NonNullable<Schemas["LineOfSightPath"]["stop_reason"]>, string> = {
  not_aligned: "aligned to nothing above it",
  aligned_to_archived_objective: "aligned to an archived objective",
  aligned_to_archived_key_result: "aligned to an archived key result",
};

export function LineOfSight({ objective, writable }: { objective: Schemas["ObjectivePublic"]; writable: boolean }) {
  const sight = useLineOfSight(objective.id);
  const links = useParentLinks(objective.id);
  const remove = useRemoveAlignment();
  const [aligning, { open, close }] = useDisclosure(false);
  const company = objective.level === "company";

  return (
    <Paper withBorder p="md" component="section" aria-labelledby="line-of-sight-heading">
      <Group justify="space-between" mb="sm">
        <Title order={2} size="h4" id="line-of-sight-heading">
          Line of sight
        </Title>
        {writable && !company && (
          <Button size="xs" variant="light" onClick={open}>
            Align to a parent
          </Button>
        )}
      </Group>
      {sight.error ? (
        <QueryError error={sight.error} onRetry={() => void sight.refetch()} />
      ) : sight.isPending ? (
        <Loading label="Tracing the line of sight" />
      ) : sight.data.paths.length === 0 ? (
        <Text size="sm" c={company ? "dimmed" : "red.9"} data-testid="line-of-sight-empty">
          {company
            ? "A company objective: the top of every line of sight."
            : "Not aligned to anything: this objective has no line of sight to the company's goals yet."}
        </Text>
      ) : (
        <Stack gap="xs" data-testid="line-of-sight">
          {sight.data.paths.map((path, index) => (
            <Group key={index} gap={6} wrap="wrap" align="center">
              {path.hops.map((hop) => (
                <Fragment key={hop.link_id}>
                  <IconArrowUp size={14} aria-hidden style={{ transform: "rotate(90deg)" }} />
                  <Badge size="xs" variant="outline" color={hop.kind === "contributes" ? "violet.8" : "gray.8"}>
                    {hop.kind} {formatPercent(hop.weight)}
                  </Badge>
                  <Anchor component={Link} to={`/objectives/${hop.parent.id}`} size="sm">
                    {hop.parent.title}
                  </Anchor>
                  <StatusBadge
                    status={hop.parent.status}
                    size="xs"
                    explain={{ progress: hop.parent.progress, expected: hop.parent.expected_progress, subject: "objective" }}
                  />
                </Fragment>
              ))}
              <Text size="xs" c={path.reaches_company ? "dimmed" : "red.9"}>
                {path.reaches_company
                  ? `· ${formatPercent(path.contribution)} of the company objective`
                  : `· stops below company level${path.stops_at ? ` at “${path.stops_at.title}”` : ""}${
                      path.stop_reason ? `: ${STOP_REASONS[path.stop_reason]}` : ""
                    }`}
              </Text>
            </Group>
          ))}
        </Stack>
      )}
      {links.data && links.data.items.length > 0 && writable && (
        <Stack gap={4} mt="sm">
          <Text size="xs" c="dimmed">
            Links of this objective
          </Text>
          {links.data.items.map((link) => (
            <Group key={link.id} gap="xs">
              <Text size="sm">
                {link.kind} · {formatPercent(link.weight)}
              </Text>
              <Button
                size="compact-xs"
                variant="subtle"
                color="red"
                onClick={() =>
                  remove.mutate(
                    { params: { path: { alignment_id: link.id } } },
                    { onError: (error) => notifications.show({ color: "red", message: problemMessage(error) }) },
                  )
                }
              >
                Remove link<span className="visually-hidden-label"> {link.kind}</span>
              </Button>
            </Group>
          ))}
        </Stack>
      )}
      {aligning && <AlignDialog objective={objective} onClose={close} />}
    </Paper>
  );
}

function AlignDialog({ objective, onClose }: { objective: Schemas["ObjectivePublic"]; onClose: () => void }) {
  const candidates = useObjectives({ cycle_id: objective.cycle_id });
  const create = useCreateAlignment();
  const [parentId, setParentId] = useState<string | null>(null);
  const [keyResultId, setKeyResultId] = useState<string | null>(null);
  const [kind, setKind] = useState<"cascade" | "contributes">("cascade");
  const [weight, setWeight] = useState<number>(1);
  const [warnings, setWarnings] = useState<string[]>([]);
  const errors = fieldErrors(create.error);
  const parents = (candidates.data?.items ?? []).filter((item) => item.id !== objective.id && item.state !== "archived");
  const parent = parents.find((item) => item.id === parentId);
  const submit = (event: FormEvent) => {
    event.preventDefault();
    if (!parentId) return;
    create.mutate(
      {
        body: {
          child_objective_id: objective.id,
          ...(keyResultId ? { parent_key_result_id: keyResultId } : { parent_objective_id: parentId }),
          kind,
          weight,
        },
      },
      {
        onSuccess: (created) => {
          notifications.show({ color: "teal", message: "Aligned" });
          if (created.warnings.length) setWarnings(created.warnings);
          else onClose();
        },
      },
    );
  };
  return (
    <Modal opened onClose={onClose} title="Align to a parent" size="lg">
      {warnings.length > 0 ? (
        <Stack>
          <Alert color="yellow" title="Aligned, with a warning">
            {warnings.join(" ")}
          </Alert>
          <Group justify="flex-end">
            <Button onClick={onClose}>Done</Button>
          </Group>
        </Stack>
      ) : (
        <form onSubmit={submit} noValidate aria-label="Align to a parent">
          <FormProblem error={create.error} />
          <Stack>
            <Select
              label="Parent objective"
              placeholder={candidates.isPending ? "Loading objectives…" : "Pick the objective this one serves"}
              data={parents.map((item) => ({ value: item.id, label: item.title }))}
              value={parentId}
              onChange={(value) => {
                setParentId(value);
                setKeyResultId(null);
              }}
              searchable
              required
              error={errors.parent_objective_id}
              data-autofocus
            />
            <Select
              label="Or one of its key results"
              placeholder="The objective as a whole"
              data={(parent?.key_results ?? []).filter((kr) => !kr.archived).map((kr) => ({ value: kr.id, label: kr.title }))}
              value={keyResultId}
              onChange={setKeyResultId}
              clearable
              disabled={!parent}
              error={errors.parent_key_result_id}
            />
            <Stack gap={4}>
              <Text size="sm" fw={500} id="align-kind-label">
                Kind
              </Text>
              <SegmentedControl
                aria-labelledby="align-kind-label"
                value={kind}
                onChange={(value) => setKind(value)}
                data={[
                  { value: "cascade", label: "Cascade (same line)" },
                  { value: "contributes", label: "Contributes (cross-functional)" },
                ]}
              />
            </Stack>
            <NumberInput
              label="Weight"
              description="The share of the parent this objective accounts for, above 0 and at most 1"
              min={0.01}
              max={1}
              step={0.05}
              decimalScale={2}
              value={weight}
              onChange={(value) => setWeight(Number(value))}
              error={errors.weight}
            />
            <Group justify="flex-end">
              <Button variant="default" onClick={onClose}>
                Cancel
              </Button>
              <Button type="submit" loading={create.isPending} disabled={!parentId}>
                Align
              </Button>
            </Group>
          </Stack>
        </form>
      )}
    </Modal>
  );
}
