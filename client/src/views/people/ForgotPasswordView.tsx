/** "Forgot password?": ask for a reset link by email. The answer is the same whatever the email, so the page says
 * the same thing too: nobody learns here who has an account. */
import { Alert, Anchor, Button, Stack, Text, TextInput } from "@mantine/core";
import { type FormEvent, useState } from "react";
import { Link, useSearchParams } from "react-router";
import { AuthFrame } from "../../components/AuthFrame";
import { fieldErrors, problemMessage } from "../../lib/problem";
import { useAskPasswordReset } from "../../queries/people";

export function ForgotPasswordView() {
  const [params] = useSearchParams();
  const [email, setEmail] = useState(params.get("email") ?? "");
  const ask = useAskPasswordReset();
  const errors = fieldErrors(ask.error);

  const submit = (event: FormEvent) => {
    event.preventDefault();
    ask.mutate({ body: { email: email.trim() } });
  };

  return (
    <AuthFrame
      title="Forgot your password?"
      subtitle={
        <>
          Remembered it?{" "}
          <Anchor component={Link} to="/sign-in" size="sm">
            Sign in
          </Anchor>
        </>
      }
    >
      {ask.isSuccess ? (
        <Stack>
          <Alert color="teal" role="status" title="Check your email">
            If <strong style={{ overflowWrap: "anywhere" }}>{email.trim()}</strong> has a Sightline account, a link to
            set a new password is on its way. The link works once, within 1 hour; using it signs you out everywhere.
          </Alert>
          <Text size="sm">No message within a few minutes? Check the spam folder, or ask again.</Text>
          <Button variant="default" onClick={() => ask.reset()}>
            Ask again
          </Button>
        </Stack>
      ) : (
        <form onSubmit={submit} noValidate>
          <Stack>
            <Text size="sm">Enter the email you sign in with; we will send a link to set a new password.</Text>
            {ask.error && !errors.email && (
              <Alert color="red" role="alert" title="Could not send the link">
                {problemMessage(ask.error)}
              </Alert>
            )}
            <TextInput
              label="Email"
              type="email"
              autoComplete="username"
              required
              value={email}
              onChange={(event) => setEmail(event.currentTarget.value)}
              error={errors.email}
            />
            <Button type="submit" loading={ask.isPending} fullWidth>
              Send the link
            </Button>
          </Stack>
        </form>
      )}
    </AuthFrame>
  );
}
