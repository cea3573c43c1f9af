/** Sign in with email and password; goes back to the page that asked for it. */
import { Alert, Anchor, Button, PasswordInput, Stack, TextInput } from "@mantine/core";
import { type FormEvent, useState } from "react";
import { Link, useNavigate, useSearchParams } from "react-router";
import { AuthFrame } from "../components/AuthFrame";
import { safeNext } from "../lib/navigation";
import { problemMessage } from "../lib/problem";
import { needsSecondStep, useLogin } from "../queries/auth";

export function SignInView() {
  const [email, setEmail] = useState("");
  const [password, setPassword] = useState("");
  const login = useLogin();
  const navigate = useNavigate();
  const [params] = useSearchParams();

  const submit = (event: FormEvent) => {
    event.preventDefault();
    login.mutate(
      { body: { email, password } },
      {
        onSuccess: (answer) => {
          const next = safeNext(params.get("next"));
          // A second step: the API holds the pending sign-in in a short-lived cookie; the password is not kept here.
          if (needsSecondStep(answer)) void navigate(`/sign-in/mfa?next=${encodeURIComponent(next)}`);
          else void navigate(next);
        },
      },
    );
  };

  return (
    <AuthFrame
      title="Sign in"
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
          {login.error && (
            <Alert color="red" role="alert" title="Could not sign in">
              {problemMessage(login.error)}
            </Alert>
          )}
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
          <Button type="submit" loading={login.isPending} fullWidth>
            Sign in
          </Button>
        </Stack>
      </form>
    </AuthFrame>
  );
}
