/** Teams: a tree (Company → Marketing → Demand Gen …) with a lead and members. */
import { Button, Group, Modal, MultiSelect, Paper, Select, Stack, Table, Text, TextInput } from "@mantine/core";
import { useDisclosure } from "@mantine/hooks";
import { notifications } from "@mantine/notifications";
import { type FormEvent, useState } from "react";
import type { Schemas } from "../../api/client";
import { FormProblem } from "../../components/FormProblem";
import { EmptyState, Loading, QueryError } from "../../components/QueryState";
import { canWrite } from "../../lib/permissions";
import { fieldErrors } from "../../lib/problem";
import { useMe } from "../../queries/auth";
import { useDirectory } from "../../queries/directory";
import { useCreateTeam, useTeams, useUpdateTeam } from "../../queries/okrs";

/** Teams in tree order (parents before children) with their depth, for an indented list. */
export function teamTree(teams: Schemas["TeamPublic"][]): { team: Schemas["TeamPublic"]; depth: number }[] {
  const ids = new Set(teams.map((team) => team.id));
  const children = new Map<string | null, Schemas["TeamPublic"][]>();
  for (const team of teams) {
    const parent = team.parent_id && ids.has(team.parent_id) ? team.parent_id : null;
    children.set(parent, [...(children.get(parent) ?? []), team]);
  }
  const out: { team: Schemas["TeamPublic"]; depth: number }[] = [];
  const walk = (parent: string | null, depth: number) => {
    for (const team of (children.get(parent) ?? []).sort((a, b) => a.name.localeCompare(b.name))) {
      out.push({ team, depth });
      walk(team.id, depth + 1);
    }
  };
  walk(null, 0);
  return out;
}

export function TeamsSettings() {
  const teams = useTeams();
  const me = useMe();
  const directory = useDirectory();
  const writable = canWrite(me.data);
  const [editing, setEditing] = useState<Schemas["TeamPublic"] | "new" | null>(null);
  if (teams.error) return <QueryError error={teams.error} onRetry={() => void teams.refetch()} />;
  if (teams.isPending) return <Loading label="Loading teams" />;
  const rows = teamTree(teams.data.items.filter((team) => !team.archived));
  return (
    <Stack>
      <Group justify="space-between">
        <Text size="sm" c="dimmed">
          Team objectives belong to a team; a person may be in several teams.
        </Text>
        {writable && <Button onClick={() => setEditing("new")}>New team</Button>}
      </Group>
      {rows.length === 0 ? (
        <EmptyState title="No teams yet">Add Marketing, Sales and the teams below them.</EmptyState>
      ) : (
        <Paper withBorder>
          <Table.ScrollContainer minWidth={480}>
            <Table verticalSpacing="xs" aria-label="Teams">
              <Table.Thead>
                <Table.Tr>
                  <Table.Th>Team</Table.Th>
                  <Table.Th>Lead</Table.Th>
                  <Table.Th>Members</Table.Th>
                  {writable && <Table.Th>Actions</Table.Th>}
                </Table.Tr>
              </Table.Thead>
              <Table.Tbody>
                {rows.map(({ team, depth }) => (
                  <Table.Tr key={team.id}>
                    <Table.Td style={{ paddingLeft: `calc(${depth * 1.25}rem + var(--table-horizontal-spacing, 0.75rem))` }}>
                      {depth > 0 && <span aria-hidden>↳ </span>}
                      {team.name}
                    </Table.Td>
                    <Table.Td>{team.lead_id ? directory.memberName(team.lead_id) : "—"}</Table.Td>
                    <Table.Td className="num">{team.member_ids.length}</Table.Td>
                    {writable && (
                      <Table.Td>
                        <Button size="compact-xs" variant="subtle" onClick={() => setEditing(team)}>
                          Edit<span className="visually-hidden-label"> {team.name}</span>
                        </Button>
                      </Table.Td>
                    )}
                  </Table.Tr>
                ))}
              </Table.Tbody>
            </Table>
          </Table.ScrollContainer>
        </Paper>
      )}
      {editing && (
        <TeamDialog team={editing === "new" ? null : editing} teams={teams.data.items} onClose={() => setEditing(null)} />
      )}
    </Stack>
  );
}

function TeamDialog({ team, teams, onClose }: { team: Schemas["TeamPublic"] | null; teams: Schemas["TeamPublic"][]; onClose: () => void }) {
  const [opened, { close }] = useDisclosure(true);
  const directory = useDirectory();
  const create = useCreateTeam();
  const update = useUpdateTeam();
  const mutation = team ? update : create;
  const [form, setForm] = useState({
    name: team?.name ?? "",
    parent_id: team?.parent_id ?? "",
    lead_id: team?.lead_id ?? "",
    member_ids: team?.member_ids ?? [],
  });
  const [nameError, setNameError] = useState<string | undefined>();
  const errors = fieldErrors(mutation.error);
  const done = () => {
    close();
    onClose();
  };
  const submit = (event: FormEvent) => {
    event.preventDefault();
    if (!form.name.trim()) return setNameError("Name the team");
    const body = {
      name: form.name.trim(),
      parent_id: form.parent_id || null,
      lead_id: form.lead_id || null,
      member_ids: form.member_ids,
    };
    const onSuccess = () => {
      notifications.show({ color: "teal", message: team ? "Team saved" : `Team ${body.name} created` });
      done();
    };
    if (team) {
      update.mutate({ params: { path: { team_id: team.id } }, ifMatch: team, body }, { onSuccess });
    } else {
      create.mutate({ body }, { onSuccess });
    }
  };
  return (
    <Modal opened={opened} onClose={done} title={team ? `Edit ${team.name}` : "New team"}>
      <form onSubmit={submit} noValidate aria-label={team ? "Edit team" : "New team"}>
        <FormProblem error={mutation.error} />
        <Stack>
          <TextInput label="Name" required value={form.name} onChange={(e) => setForm({ ...form, name: e.currentTarget.value })} error={nameError ?? errors.name} data-autofocus />
          <Select
            label="Part of"
            placeholder="Top level"
            data={teams.filter((other) => other.id !== team?.id && !other.archived).map((other) => ({ value: other.id, label: other.name }))}
            value={form.parent_id || null}
            onChange={(value) => setForm({ ...form, parent_id: value ?? "" })}
            clearable
            error={errors.parent_id}
          />
          <Select
            label="Lead"
            placeholder="No lead"
            data={directory.members.map((member) => ({ value: member.id, label: member.name }))}
            value={form.lead_id || null}
            onChange={(value) => setForm({ ...form, lead_id: value ?? "" })}
            clearable
            searchable
          />
          <MultiSelect
            label="Members"
            data={directory.members.map((member) => ({ value: member.id, label: member.name }))}
            value={form.member_ids}
            onChange={(value) => setForm({ ...form, member_ids: value })}
            searchable
          />
          <Group justify="flex-end">
            <Button variant="default" onClick={done}>
              Cancel
            </Button>
            <Button type="submit" loading={mutation.isPending}>
              {team ? "Save team" : "Create team"}
            </Button>
          </Group>
        </Stack>
      </form>
    </Modal>
  );
}
