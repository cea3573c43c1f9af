/** Sign in with email and password; goes back to the page that asked for it. When the password opens accounts in
 * several organisations, the API names them and the person picks one (also how the account menu switches). */
import { Alert, Anchor, Button, PasswordInput, Radio, Stack, Text, TextInput } from "@mantine/core";
import { type FormEvent, useState } from "react";
import { Link, useNavigate, useSearchParams } from "react-router";
import { AuthFrame } from "../components/AuthFrame";
import { safeNext } from "../lib/navigation";
import { type KnownOrganisation, knownOrganisations, organisationChoice, rememberOrganisations } from "../lib/organisations";
import { problemMessage } from "../lib/problem";
import { needsSecondStep, useLogin } from "../queries/auth";

export function SignInView() {
  const [params] = useSearchParams();
  // A switch of organisation lands here with a new email/organisation while the page may already be showing (the
  // ended session sent it here first): start the form afresh from the address.
  return <SignInForm key={`${params.get("email") ?? ""}|${params.get("organisation") ?? ""}`} />;
}

function SignInForm() {
  const [params] = useSearchParams();
  const [email, setEmail] = useState(params.get("email") ?? "");
  const [password, setPassword] = useState("");
  // Switching organisation from the account menu arrives with the organisation already chosen.
  const [organisationId, setOrganisationId] = useState<string | null>(params.get("organisation"));
  const [choices, setChoices] = useState<KnownOrganisation[] | null>(null);
  const login = useLogin();
  const navigate = useNavigate();

  const signIn = (organisation: string | null) => {
    login.mutate(
      { body: { email, password, ...(organisation ? { organisation_id: organisation } : {}) } },
      {
        onSuccess: (answer) => {
          const next = safeNext(params.get("next"));
          // A second step: the API holds the pending sign-in in a short-lived cookie; the password is not kept here.
          if (needsSecondStep(answer)) void navigate(`/sign-in/mfa?next=${encodeURIComponent(next)}`);
          else void navigate(next);
        },
        onError: (error) => {
          const offered = organisationChoice(error);
          if (offered) {
            rememberOrganisations(email, offered);
            setChoices(offered);
            setOrganisationId((current) => (offered.some((o) => o.id === current) ? current : null));
          }
        },
      },
    );
  };

  const submit = (event: FormEvent) => {
    event.preventDefault();
    signIn(organisationId);
  };

  const choosing = choices !== null;
  const preset = choosing ? undefined : knownOrganisations(email).find((o) => o.id === organisationId);
  const otherError = login.error && !organisationChoice(login.error);

  return (
    <AuthFrame
      title={choosing ? "Choose an organisation" : "Sign in"}
      subtitle={
        <>
          New to Sightline?{" "}
          <Anchor component={Link} to="/sign-up" size="sm">
            Create an organisation
          </Anchor>
        </>
      }
    >
      <form onSubmit={submit} noValidate>
        <Stack>
          {otherError && (
            <Alert color="red" role="alert" title="Could not sign in">
              {problemMessage(login.error)}
            </Alert>
          )}
          {choosing ? (
            <>
              <Text size="sm">
                {email} has an account in {choices.length} organisations. Which one do you want to open?
              </Text>
              <Radio.Group
                label="Organisation"
                required
                value={organisationId}
                onChange={setOrganisationId}
              >
                <Stack gap="xs" mt="xs">
                  {choices.map((organisation) => (
                    <Radio key={organisation.id} value={organisation.id} label={organisation.name} />
                  ))}
                </Stack>
              </Radio.Group>
              <Button type="submit" loading={login.isPending} disabled={!organisationId} fullWidth>
                Open this organisation
              </Button>
              <Button
                variant="subtle"
                onClick={() => {
                  setChoices(null);
                  setPassword("");
                  setOrganisationId(null);
                }}
              >
                Use another email
              </Button>
            </>
          ) : (
            <>
              {preset && <Text size="sm">Signing in to {preset.name}</Text>}
              <TextInput
                label="Email"
                type="email"
                autoComplete="username"
                required
                value={email}
                onChange={(event) => setEmail(event.currentTarget.value)}
              />
              <PasswordInput
                label="Password"
                autoComplete="current-password"
                required
                value={password}
                onChange={(event) => setPassword(event.currentTarget.value)}
              />
              <Anchor
                component={Link}
                to={email ? `/forgot-password?email=${encodeURIComponent(email)}` : "/forgot-password"}
                size="sm"
              >
                Forgot password?
              </Anchor>
              <Button type="submit" loading={login.isPending} fullWidth>
                Sign in
              </Button>
            </>
          )}
        </Stack>
      </form>
    </AuthFrame>
  );
}
