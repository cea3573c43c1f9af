/**
 * Members and roles: add (an initial password is shown once when generated), change role, reset a password (the new
 * one is shown once), remove. Role pickers offer only roles up to the signed-in person's own.
 */
import { Alert, Badge, Button, Code, CopyButton, Group, Modal, Paper, PasswordInput, Select, Stack, Table, Text, TextInput } from "@mantine/core";
import { useDisclosure } from "@mantine/hooks";
import { notifications } from "@mantine/notifications";
import { type FormEvent, useState } from "react";
import type { Schemas } from "../../api/client";
import { FormProblem } from "../../components/FormProblem";
import { PasswordStrength } from "../../components/PasswordStrength";
import { EmptyState, Loading, QueryError } from "../../components/QueryState";
import { formatDate } from "../../lib/format";
import { assignableRoles, canManageMember, canResetPassword, isAdmin, type Role, ROLES } from "../../lib/permissions";
import { fieldErrors, problemMessage } from "../../lib/problem";
import { PASSWORD_MIN } from "../../lib/validation";
import { useMe } from "../../queries/auth";
import { InvitationsSection } from "../../components/InvitationsSection";
import { useAddMember, useMembers, useRemoveMember, useResetMemberPassword, useUpdateMember } from "../../queries/organisation";

const roleLabel = (role: Role) => ROLES.find((item) => item.value === role)?.label ?? role;

export function MembersSettings() {
  const members = useMembers();
  const me = useMe();
  const admin = isAdmin(me.data);
  const roles = assignableRoles(me.data);
  const update = useUpdateMember();
  const remove = useRemoveMember();
  if (members.error) return <QueryError error={members.error} onRetry={() => void members.refetch()} />;
  if (members.isPending) return <Loading label="Loading members" />;
  const active = members.data.items.filter((member) => member.active);
  const changeRole = (member: Schemas["MemberPublic"], role: Role) =>
    update.mutate(
      { params: { path: { member_id: member.id } }, body: { role } },
      {
        onSuccess: () => notifications.show({ color: "teal", message: `${member.name} is now ${role}` }),
        onError: (error) => notifications.show({ color: "red", title: "Role not changed", message: problemMessage(error) }),
      },
    );
  return (
    <Stack>
      <Group justify="space-between">
        <Text size="sm" c="dimmed">
          {active.length} active member{active.length === 1 ? "" : "s"}
        </Text>
        {admin && <AddMemberButton />}
      </Group>
      {active.length === 0 ? (
        <EmptyState title="No members" />
      ) : (
        <Paper withBorder>
          <Table.ScrollContainer minWidth={640}>
            <Table verticalSpacing="xs" aria-label="Members">
              <Table.Thead>
                <Table.Tr>
                  <Table.Th>Name</Table.Th>
                  <Table.Th>Email</Table.Th>
                  <Table.Th>Role</Table.Th>
                  <Table.Th>Since</Table.Th>
                  {admin && <Table.Th>Actions</Table.Th>}
                </Table.Tr>
              </Table.Thead>
              <Table.Tbody>
                {active.map((member) => (
                  <Table.Tr key={member.id}>
                    <Table.Td>
                      {member.name}
                      {member.id === me.data?.member?.id && (
                        <Badge ml={6} size="xs" variant="outline" color="gray.8">
                          you
                        </Badge>
                      )}
                    </Table.Td>
                    <Table.Td>{member.email}</Table.Td>
                    <Table.Td>
                      {canManageMember(me.data, member) ? (
                        <Select
                          aria-label={`Role of ${member.name}`}
                          data={roles}
                          value={member.role}
                          onChange={(role) => role && role !== member.role && changeRole(member, role)}
                          allowDeselect={false}
                          size="xs"
                          w={120}
                        />
                      ) : (
                        roleLabel(member.role)
                      )}
                    </Table.Td>
                    <Table.Td>{formatDate(member.created_at)}</Table.Td>
                    {admin && (
                      <Table.Td>
                        <Group gap={4} wrap="nowrap">
                          {canResetPassword(me.data, member) && <ResetPasswordButton member={member} />}
                          {member.id !== me.data?.member?.id && canManageMember(me.data, member) && (
                            <Button
                              size="compact-xs"
                              variant="subtle"
                              color="red"
                              onClick={() =>
                                remove.mutate(
                                  { params: { path: { member_id: member.id } } },
                                  {
                                    onSuccess: () => notifications.show({ message: `${member.name} removed` }),
                                    onError: (error) =>
                                      notifications.show({ color: "red", title: "Not removed", message: problemMessage(error) }),
                                  },
                                )
                              }
                            >
                              Remove<span className="visually-hidden-label"> {member.name}</span>
                            </Button>
                          )}
                        </Group>
                      </Table.Td>
                    )}
                  </Table.Tr>
                ))}
              </Table.Tbody>
            </Table>
          </Table.ScrollContainer>
        </Paper>
      )}
      {admin && <InvitationsSection />}
    </Stack>
  );
}

/** Confirm, then show the generated password once: the admin passes it on; the member's sessions have ended. */
function ResetPasswordButton({ member }: { member: Schemas["MemberPublic"] }) {
  const [opened, { open, close }] = useDisclosure(false);
  // The password lives only in this dialog's state: never cached, stored or shown again.
  const [password, setPassword] = useState<string | null>(null);
  const reset = useResetMemberPassword();
  const done = () => {
    close();
    setPassword(null);
    reset.reset();
  };
  const confirm = () =>
    reset.mutate({ params: { path: { member_id: member.id } } }, { onSuccess: (answer) => setPassword(answer.password) });
  return (
    <>
      <Button size="compact-xs" variant="subtle" onClick={open}>
        Reset password<span className="visually-hidden-label"> of {member.name}</span>
      </Button>
      <Modal
        opened={opened}
        onClose={done}
        title={password ? `New password for ${member.name}` : `Reset the password of ${member.name}?`}
        closeOnClickOutside={!password}
      >
        {password ? (
          <Stack>
            <Alert color="yellow" title="Shown only this once" role="status">
              Copy it now and pass it on to {member.name} over a channel you trust. Sightline keeps only a hash: once
              this dialog is closed, the password cannot be shown again (reset it again if it is lost).
            </Alert>
            <Code block data-testid="reset-password" style={{ wordBreak: "break-all", whiteSpace: "pre-wrap" }}>
              {password}
            </Code>
            <Group justify="space-between">
              <CopyButton value={password}>
                {({ copied, copy }) => (
                  <Button variant="light" color={copied ? "teal" : undefined} onClick={copy}>
                    {copied ? "Copied" : "Copy password"}
                  </Button>
                )}
              </CopyButton>
              <Button onClick={done}>I have passed it on</Button>
            </Group>
          </Stack>
        ) : (
          <Stack>
            <FormProblem error={reset.error} title="Password not reset" />
            <Text size="sm">
              {member.name} gets a new generated password, shown to you once. Their current password stops working and
              they are signed out everywhere.
            </Text>
            <Group justify="flex-end">
              <Button variant="default" onClick={done}>
                Cancel
              </Button>
              <Button color="red.9" loading={reset.isPending} onClick={confirm} data-autofocus>
                Reset password
              </Button>
            </Group>
          </Stack>
        )}
      </Modal>
    </>
  );
}

function AddMemberButton() {
  const me = useMe();
  const roles = assignableRoles(me.data);
  const [opened, { open, close }] = useDisclosure(false);
  const [form, setForm] = useState<{ name: string; email: string; role: Role; password: string }>({
    name: "",
    email: "",
    role: "member",
    password: "",
  });
  const [created, setCreated] = useState<Schemas["MemberCreated"] | null>(null);
  const add = useAddMember();
  const errors = fieldErrors(add.error);
  const done = () => {
    close();
    setCreated(null);
    setForm({ name: "", email: "", role: "member", password: "" });
    add.reset();
  };
  const submit = (event: FormEvent) => {
    event.preventDefault();
    add.mutate(
      {
        // No password typed: the API generates one and shows it once.
        body: { name: form.name.trim(), email: form.email.trim(), role: form.role, ...(form.password ? { password: form.password } : {}) },
      },
      { onSuccess: setCreated },
    );
  };
  return (
    <>
      <Button onClick={open}>Add member</Button>
      <Modal opened={opened} onClose={done} title="Add a member">
        {created ? (
          <Stack>
            <Text size="sm">{created.name} can now sign in.</Text>
            {created.initial_password && (
              <Alert color="yellow" title="Initial password, shown once">
                <Group gap="xs">
                  <Code>{created.initial_password}</Code>
                  <CopyButton value={created.initial_password}>
                    {({ copied, copy }) => (
                      <Button size="compact-xs" variant="light" onClick={copy}>
                        {copied ? "Copied" : "Copy"}
                      </Button>
                    )}
                  </CopyButton>
                </Group>
              </Alert>
            )}
            <Group justify="flex-end">
              <Button onClick={done}>Done</Button>
            </Group>
          </Stack>
        ) : (
          <form onSubmit={submit} noValidate aria-label="Add a member">
            <FormProblem error={add.error} />
            <Stack>
              <TextInput label="Name" required value={form.name} onChange={(e) => setForm({ ...form, name: e.currentTarget.value })} error={errors.name} data-autofocus />
              <TextInput label="Email" type="email" required value={form.email} onChange={(e) => setForm({ ...form, email: e.currentTarget.value })} error={errors.email} />
              <Select label="Role" data={roles} value={form.role} onChange={(role) => role && setForm({ ...form, role: role })} allowDeselect={false} />
              <PasswordInput
                label="Initial password"
                description={`Optional: at least ${PASSWORD_MIN} characters. Leave empty and Sightline generates one, shown once.`}
                autoComplete="new-password"
                value={form.password}
                onChange={(e) => setForm({ ...form, password: e.currentTarget.value })}
                error={errors.password}
              />
              <PasswordStrength password={form.password} userInputs={[form.name, form.email]} />
              <Group justify="flex-end">
                <Button variant="default" onClick={done}>
                  Cancel
                </Button>
                <Button type="submit" loading={add.isPending}>
                  Add member
                </Button>
              </Group>
            </Stack>
          </form>
        )}
      </Modal>
    </>
  );
}
