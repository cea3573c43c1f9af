/** The link from the "forgot password" email (`/reset-password?token=…`): a new password, then sign in with it.
 * Setting it ends every session of the member; the API does not sign the person in (docs/invitations.md). */
import { Alert, Anchor, Button, PasswordInput, Stack } from "@mantine/core";
import { type FormEvent, useState } from "react";
import { Link, useNavigate, useSearchParams } from "react-router";
import { notifications } from "@mantine/notifications";
import { AuthFrame } from "../../components/AuthFrame";
import { PasswordStrength } from "../../components/PasswordStrength";
import { fieldErrors, problemMessage } from "../../lib/problem";
import { PASSWORD_MIN } from "../../lib/validation";
import { useConfirmPasswordReset } from "../../queries/people";

export function ResetPasswordView() {
  const [params] = useSearchParams();
  const token = params.get("token") ?? "";
  const [password, setPassword] = useState("");
  const [repeat, setRepeat] = useState("");
  const [mismatch, setMismatch] = useState(false);
  const confirm = useConfirmPasswordReset();
  const navigate = useNavigate();
  const errors = fieldErrors(confirm.error);

  const submit = (event: FormEvent) => {
    event.preventDefault();
    if (password !== repeat) {
      setMismatch(true);
      return;
    }
    setMismatch(false);
    confirm.mutate(
      { body: { token, new_password: password } },
      {
        onSuccess: () => {
          notifications.show({ color: "teal", message: "Your password is set. Sign in with it." });
          void navigate("/sign-in", { replace: true });
        },
      },
    );
  };

  const askAgain = (
    <Anchor component={Link} to="/forgot-password" size="sm">
      Ask for a new link
    </Anchor>
  );
  if (!token) {
    return (
      <AuthFrame title="Set a new password" subtitle={askAgain}>
        <Alert color="red" role="alert" title="This link is incomplete">
          Open the link from the email again, or ask for a new one.
        </Alert>
      </AuthFrame>
    );
  }
  return (
    <AuthFrame title="Set a new password" subtitle="Every session of your account ends when it is set.">
      <form onSubmit={submit} noValidate>
        <Stack>
          {errors.token && (
            <Stack gap={4}>
              <Alert color="red" role="alert" title="This link does not work">
                {errors.token}
              </Alert>
              {askAgain}
            </Stack>
          )}
          {confirm.error && !errors.token && !errors.new_password && (
            <Alert color="red" role="alert" title="Could not set the password">
              {problemMessage(confirm.error)}
            </Alert>
          )}
          <PasswordInput
            label="New password"
            description={`At least ${PASSWORD_MIN} characters; a few unrelated words make a strong one`}
            autoComplete="new-password"
            required
            value={password}
            onChange={(event) => setPassword(event.currentTarget.value)}
            error={errors.new_password}
          />
          <PasswordStrength password={password} />
          <PasswordInput
            label="Repeat the new password"
            autoComplete="new-password"
            required
            value={repeat}
            onChange={(event) => setRepeat(event.currentTarget.value)}
            error={mismatch ? "The two passwords differ" : undefined}
          />
          <Button type="submit" loading={confirm.isPending} fullWidth>
            Set the password
          </Button>
        </Stack>
      </form>
    </AuthFrame>
  );
}
