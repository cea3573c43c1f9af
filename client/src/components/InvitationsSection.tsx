/**
 * Settings → Members, for admins: invite a person by email (role up to one's own, optionally a team) and the open
 * invitations, each with resend (a new 7-day link; the earlier one stops working) and revoke. See docs/invitations.md.
 */
import { Badge, Button, Group, Modal, Paper, Select, Stack, Table, Text, TextInput, Title } from "@mantine/core";
import { useDisclosure } from "@mantine/hooks";
import { notifications } from "@mantine/notifications";
import { type FormEvent, useState } from "react";
import type { Schemas } from "../api/client";
import { FormProblem } from "./FormProblem";
import { Loading, QueryError } from "./QueryState";
import { formatDateTime } from "../lib/format";
import { assignableRoles, type Role } from "../lib/permissions";
import { fieldErrors, problemMessage } from "../lib/problem";
import { useMe } from "../queries/auth";
import { useTeams } from "../queries/okrs";
import { useInvitations, useInvite, useResendInvitation, useRevokeInvitation } from "../queries/people";

export function InvitationsSection() {
  const invitations = useInvitations();
  const teams = useTeams();
  const teamName = (id: string | null) => (id ? (teams.data?.items.find((team) => team.id === id)?.name ?? "") : "");
  return (
    <Stack component="section" aria-labelledby="invitations-heading" gap="sm">
      <Group justify="space-between">
        <Title order={2} size="h4" id="invitations-heading">
          Invitations
        </Title>
        <InviteButton />
      </Group>
      {invitations.error ? (
        <QueryError error={invitations.error} onRetry={() => void invitations.refetch()} />
      ) : invitations.isPending ? (
        <Loading label="Loading invitations" />
      ) : invitations.data.items.length === 0 ? (
        <Text size="sm" c="dimmed">
          No open invitations. Invite people by email: they choose their own name and password.
        </Text>
      ) : (
        <Paper withBorder>
          <Table.ScrollContainer minWidth={640}>
            <Table verticalSpacing="xs" aria-label="Open invitations">
              <Table.Thead>
                <Table.Tr>
                  <Table.Th>Email</Table.Th>
                  <Table.Th>Role</Table.Th>
                  <Table.Th>Team</Table.Th>
                  <Table.Th>Link valid until</Table.Th>
                  <Table.Th>Actions</Table.Th>
                </Table.Tr>
              </Table.Thead>
              <Table.Tbody>
                {invitations.data.items.map((invitation) => (
                  <InvitationRow key={invitation.id} invitation={invitation} team={teamName(invitation.team_id)} />
                ))}
              </Table.Tbody>
            </Table>
          </Table.ScrollContainer>
        </Paper>
      )}
    </Stack>
  );
}

function InvitationRow({ invitation, team }: { invitation: Schemas["InvitationPublic"]; team: string }) {
  const resend = useResendInvitation();
  const revoke = useRevokeInvitation();
  // The time the list was shown at: an invitation that expires while it is open is marked on the next visit.
  const [shownAt] = useState(() => Date.now());
  const expired = new Date(invitation.expires_at).getTime() < shownAt;
  const path = { params: { path: { invitation_id: invitation.id } } };
  const failed = (title: string) => (error: unknown) =>
    notifications.show({ color: "red", title, message: problemMessage(error) });
  return (
    <Table.Tr>
      <Table.Td style={{ overflowWrap: "anywhere" }}>{invitation.email}</Table.Td>
      <Table.Td>{invitation.role}</Table.Td>
      <Table.Td>{team || "—"}</Table.Td>
      <Table.Td>
        {formatDateTime(invitation.expires_at)}
        {expired && (
          <Badge ml={6} size="xs" variant="outline" color="red.9">
            expired
          </Badge>
        )}
      </Table.Td>
      <Table.Td>
        <Group gap={4} wrap="nowrap">
          <Button
            size="compact-xs"
            variant="subtle"
            loading={resend.isPending}
            onClick={() =>
              resend.mutate(path, {
                onSuccess: () => notifications.show({ color: "teal", message: `A new link is on its way to ${invitation.email}` }),
                onError: failed("Not resent"),
              })
            }
          >
            Resend<span className="visually-hidden-label"> the invitation of {invitation.email}</span>
          </Button>
          <Button
            size="compact-xs"
            variant="subtle"
            color="red"
            loading={revoke.isPending}
            onClick={() =>
              revoke.mutate(path, {
                onSuccess: () => notifications.show({ message: `The invitation of ${invitation.email} is revoked` }),
                onError: failed("Not revoked"),
              })
            }
          >
            Revoke<span className="visually-hidden-label"> the invitation of {invitation.email}</span>
          </Button>
        </Group>
      </Table.Td>
    </Table.Tr>
  );
}

const EMPTY = { email: "", role: "member" as Role, team: null as string | null };

function InviteButton() {
  const me = useMe();
  const roles = assignableRoles(me.data);
  const teams = useTeams();
  const [opened, { open, close }] = useDisclosure(false);
  const [form, setForm] = useState(EMPTY);
  const invite = useInvite();
  const errors = fieldErrors(invite.error);
  const done = () => {
    close();
    setForm(EMPTY);
    invite.reset();
  };
  const submit = (event: FormEvent) => {
    event.preventDefault();
    const email = form.email.trim();
    invite.mutate(
      { body: { email, role: form.role, team_id: form.team } },
      {
        onSuccess: () => {
          notifications.show({ color: "teal", message: `Invitation sent to ${email}` });
          done();
        },
      },
    );
  };
  const teamChoices = (teams.data?.items ?? []).filter((team) => !team.archived).map((team) => ({ value: team.id, label: team.name }));
  return (
    <>
      <Button variant="light" onClick={open}>
        Invite by email
      </Button>
      <Modal opened={opened} onClose={done} title="Invite by email">
        <form onSubmit={submit} noValidate aria-label="Invite by email">
          <FormProblem error={invite.error} />
          <Stack>
            <Text size="sm">The person gets a link, valid for 7 days, to choose their name and password and join.</Text>
            <TextInput label="Email" type="email" required value={form.email} onChange={(e) => setForm({ ...form, email: e.currentTarget.value })} error={errors.email} data-autofocus />
            <Select label="Role" data={roles} value={form.role} onChange={(role) => role && setForm({ ...form, role })} allowDeselect={false} error={errors.role} />
            <Select label="Team" description="Optional: a team they join when they accept" data={teamChoices} value={form.team} onChange={(team) => setForm({ ...form, team })} clearable placeholder="No team" error={errors.team_id} />
            <Group justify="flex-end">
              <Button variant="default" onClick={done}>
                Cancel
              </Button>
              <Button type="submit" loading={invite.isPending}>
                Send the invitation
              </Button>
            </Group>
          </Stack>
        </form>
      </Modal>
    </>
  );
}
