/** The link from an invitation email (`/accept-invitation?token=…`): what the invitation is (organisation, email,
 * role), then a name and a password — or, where the organisation signs in through single sign-on, a name and then
 * the identity provider. Accepting with a password signs the person in (docs/invitations.md). */
import { Alert, Anchor, Button, PasswordInput, Stack, Table, Text, TextInput } from "@mantine/core";
import { type FormEvent, useEffect, useRef, useState } from "react";
import { Link, useNavigate, useSearchParams } from "react-router";
import type { Schemas } from "../../api/client";
import { AuthFrame } from "../../components/AuthFrame";
import { PasswordStrength } from "../../components/PasswordStrength";
import { Loading } from "../../components/QueryState";
import { formatDateTime } from "../../lib/format";
import { fieldErrors, problemMessage } from "../../lib/problem";
import { PASSWORD_MIN } from "../../lib/validation";
import { useAcceptInvitation } from "../../queries/auth";
import { useInvitationPreview } from "../../queries/people";

export function AcceptInvitationView() {
  const [params] = useSearchParams();
  const token = params.get("token") ?? "";
  const preview = useInvitationPreview();
  const asked = useRef(false);
  useEffect(() => {
    // Once: React runs effects twice in development, and the preview is a POST.
    if (!token || asked.current) return;
    asked.current = true;
    preview.mutate({ body: { token } });
  }, [token, preview]);

  const signIn = (
    <Anchor component={Link} to="/sign-in" size="sm">
      Sign in
    </Anchor>
  );
  if (!token || preview.error) {
    return (
      <AuthFrame title="Join your team on Sightline" subtitle={<>Already a member? {signIn}</>}>
        <Alert color="red" role="alert" title="This invitation link does not work">
          {token
            ? (fieldErrors(preview.error).token ?? problemMessage(preview.error))
            : "The link is incomplete: open the link from the email again."}{" "}
          Ask the person who invited you for a new invitation.
        </Alert>
      </AuthFrame>
    );
  }
  if (!preview.data) {
    return (
      <AuthFrame title="Join your team on Sightline" subtitle="One moment while we check your invitation.">
        <Loading label="Checking the invitation" />
      </AuthFrame>
    );
  }
  return <AcceptForm token={token} invitation={preview.data} />;
}

function AcceptForm({ token, invitation }: { token: string; invitation: Schemas["InvitationPreview"] }) {
  const [name, setName] = useState("");
  const [password, setPassword] = useState("");
  const accept = useAcceptInvitation();
  const navigate = useNavigate();
  const errors = fieldErrors(accept.error);
  const sso = invitation.sign_in === "sso";

  const submit = (event: FormEvent) => {
    event.preventDefault();
    accept.mutate(
      { body: { token, name: name.trim(), ...(sso ? {} : { password }) } },
      {
        onSuccess: (answer) => {
          if (answer.sign_in === "sso" && answer.sso_start_url) window.location.assign(answer.sso_start_url);
          else void navigate("/scoreboard?welcome=1", { replace: true });
        },
      },
    );
  };

  return (
    <AuthFrame title={`Join ${invitation.organisation_name}`} subtitle="You are invited to Sightline.">
      <form onSubmit={submit} noValidate>
        <Stack>
          <Table variant="vertical" withTableBorder layout="fixed" aria-label="The invitation">
            <Table.Tbody>
              <Table.Tr>
                <Table.Th w={120}>Organisation</Table.Th>
                <Table.Td>{invitation.organisation_name}</Table.Td>
              </Table.Tr>
              <Table.Tr>
                <Table.Th>Email</Table.Th>
                <Table.Td style={{ overflowWrap: "anywhere" }}>{invitation.email}</Table.Td>
              </Table.Tr>
              <Table.Tr>
                <Table.Th>Role</Table.Th>
                <Table.Td>{invitation.role}</Table.Td>
              </Table.Tr>
              <Table.Tr>
                <Table.Th>Link valid until</Table.Th>
                <Table.Td>{formatDateTime(invitation.expires_at)}</Table.Td>
              </Table.Tr>
            </Table.Tbody>
          </Table>
          {accept.error && Object.keys(errors).length === 0 && (
            <Alert color="red" role="alert" title="Could not accept the invitation">
              {problemMessage(accept.error)}
            </Alert>
          )}
          {errors.token && (
            <Alert color="red" role="alert" title="This invitation link does not work">
              {errors.token}
            </Alert>
          )}
          <TextInput
            label="Your name"
            autoComplete="name"
            required
            value={name}
            onChange={(event) => setName(event.currentTarget.value)}
            error={errors.name}
          />
          {sso ? (
            <Text size="sm">{invitation.organisation_name} signs in through single sign-on: you continue there next.</Text>
          ) : (
            <>
              <PasswordInput
                label="Password"
                description={`At least ${PASSWORD_MIN} characters; a few unrelated words make a strong one`}
                autoComplete="new-password"
                required
                value={password}
                onChange={(event) => setPassword(event.currentTarget.value)}
                error={errors.password}
              />
              <PasswordStrength password={password} userInputs={[invitation.email, name, invitation.organisation_name]} />
            </>
          )}
          <Button type="submit" loading={accept.isPending} fullWidth>
            {sso ? "Accept and continue to single sign-on" : "Accept and sign in"}
          </Button>
        </Stack>
      </form>
    </AuthFrame>
  );
}
