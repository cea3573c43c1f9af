/** The signed-in person's account: who they are here, two-step sign-in, their password and where they are signed in. */
import { Alert, Button, Group, Paper, PasswordInput, SimpleGrid, Stack, Text, Title } from "@mantine/core";
import { type FormEvent, useState } from "react";
import { FormProblem } from "../components/FormProblem";
import { PasswordStrength } from "../components/PasswordStrength";
import { Loading, QueryError } from "../components/QueryState";
import { SessionsSection } from "../components/SessionsSection";
import { TwoStepSection } from "../components/TwoStepSection";
import { ROLES } from "../lib/permissions";
import { asProblem, fieldErrors, isProblem } from "../lib/problem";
import { type Errors, PASSWORD_MIN, type PasswordChangeDraft, validatePasswordChange } from "../lib/validation";
import { useChangePassword, useMe } from "../queries/auth";

export function AccountView() {
  const me = useMe();
  if (me.error) return <QueryError error={me.error} onRetry={() => void me.refetch()} />;
  if (me.isPending) return <Loading label="Loading your account" />;
  const member = me.data.member;
  return (
    <Stack gap="md" maw={640}>
      <Title order={1}>Your account</Title>
      {member && (
        <Paper withBorder p="md">
          <SimpleGrid cols={{ base: 1, xs: 2 }} spacing="sm" component="dl" m={0}>
            <Detail term="Name" value={member.name} />
            <Detail term="Email" value={member.email} />
            <Detail term="Organisation" value={me.data.organisation.name} />
            <Detail term="Role" value={ROLES.find((role) => role.value === member.role)?.label ?? member.role} />
          </SimpleGrid>
        </Paper>
      )}
      {member && me.data.auth === "session" && (
        <>
          <TwoStepSection email={member.email} />
          <PasswordChangeForm email={member.email} name={member.name} organisation={me.data.organisation.name} />
          <SessionsSection />
        </>
      )}
    </Stack>
  );
}

function Detail({ term, value }: { term: string; value: string }) {
  return (
    <div>
      <Text component="dt" size="sm" c="dimmed">
        {term}
      </Text>
      <Text component="dd" m={0} fw={500} style={{ overflowWrap: "anywhere" }}>
        {value}
      </Text>
    </div>
  );
}

const EMPTY: PasswordChangeDraft = { current_password: "", new_password: "", confirmation: "" };

/** The API's answer as field errors: 422s on their fields, a 403 (wrong current password) on the current one. */
function serverErrors(error: unknown): Errors {
  if (isProblem(error) && error.status === 403) {
    const detail = asProblem(error).detail;
    return { current_password: detail.charAt(0).toUpperCase() + detail.slice(1) };
  }
  return fieldErrors(error);
}

function PasswordChangeForm({ email, name, organisation }: { email: string; name: string; organisation: string }) {
  const [draft, setDraft] = useState<PasswordChangeDraft>(EMPTY);
  const [errors, setErrors] = useState<Errors>({});
  const [changed, setChanged] = useState(false);
  const change = useChangePassword();
  const fromServer = serverErrors(change.error);
  const shown = { ...fromServer, ...errors };
  const set = (key: keyof PasswordChangeDraft) => (event: { currentTarget: { value: string } }) => {
    const value = event.currentTarget.value; // read now: currentTarget is gone once the event has been handled
    setDraft((current) => ({ ...current, [key]: value }));
    setChanged(false);
  };
  const submit = (event: FormEvent) => {
    event.preventDefault();
    const found = validatePasswordChange(draft);
    setErrors(found);
    setChanged(false);
    if (Object.keys(found).length > 0) return;
    change.mutate(
      { body: { current_password: draft.current_password, new_password: draft.new_password } },
      {
        onSuccess: () => {
          setDraft(EMPTY);
          setChanged(true);
          change.reset();
        },
      },
    );
  };
  return (
    <Paper withBorder p="md">
      <form onSubmit={submit} noValidate aria-labelledby="password-change-title">
        <Stack>
          <Title order={2} size="h4" id="password-change-title">
            Change your password
          </Title>
          <Text size="sm" c="dimmed">
            Every other place you are signed in with this account is signed out; this browser stays signed in.
          </Text>
          {changed && (
            <Alert color="teal" role="status" title="Password changed">
              Your other sessions were signed out. Sign in there again with the new password.
            </Alert>
          )}
          {Object.keys(fromServer).length === 0 && <FormProblem error={change.error} title="Password not changed" />}
          {/* For password managers: which account this new password belongs to. */}
          <input type="text" name="username" autoComplete="username" value={email} readOnly hidden />
          <PasswordInput
            label="Current password"
            autoComplete="current-password"
            required
            value={draft.current_password}
            onChange={set("current_password")}
            error={shown.current_password}
          />
          <PasswordInput
            label="New password"
            description={`At least ${PASSWORD_MIN} characters; a few unrelated words make a strong one`}
            autoComplete="new-password"
            required
            value={draft.new_password}
            onChange={set("new_password")}
            error={shown.new_password}
          />
          <PasswordStrength password={draft.new_password} userInputs={[email, name, organisation]} />
          <PasswordInput
            label="Repeat the new password"
            autoComplete="new-password"
            required
            value={draft.confirmation}
            onChange={set("confirmation")}
            error={shown.confirmation}
          />
          <Group justify="flex-end">
            <Button type="submit" loading={change.isPending}>
              Change password
            </Button>
          </Group>
        </Stack>
      </form>
    </Paper>
  );
}
