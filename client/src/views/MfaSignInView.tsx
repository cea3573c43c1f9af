/** The second step of signing in: a code from the authenticator app, or one of the recovery codes. */
import { Alert, Anchor, Button, Stack, Text, TextInput } from "@mantine/core";
import { type FormEvent, useState } from "react";
import { Link, useNavigate, useSearchParams } from "react-router";
import { AuthFrame } from "../components/AuthFrame";
import { safeNext } from "../lib/navigation";
import { isProblem, problemMessage } from "../lib/problem";
import { useLoginMfa } from "../queries/auth";

export function MfaSignInView() {
  const [method, setMethod] = useState<"code" | "recovery_code">("code");
  const [value, setValue] = useState("");
  const login = useLoginMfa();
  const navigate = useNavigate();
  const [params] = useSearchParams();
  const next = safeNext(params.get("next"));
  const submit = (event: FormEvent) => {
    event.preventDefault();
    const body = method === "code" ? { code: value.replace(/\s/g, "") } : { recovery_code: value.trim() };
    login.mutate({ body }, { onSuccess: () => void navigate(next) });
  };
  const switchTo = (to: typeof method) => {
    setMethod(to);
    setValue("");
    login.reset();
  };
  // A wrong code is a 401 as well; only a message that the pending sign-in is gone sends the person back.
  const expired = isProblem(login.error) && login.error.status === 401 && /expired|sign in again/i.test(login.error.detail);
  return (
    <AuthFrame title="Two-step sign-in" subtitle="Your password was right. One more step.">
      <form onSubmit={submit} noValidate aria-label="Second sign-in step">
        <Stack>
          {login.error && (
            <Alert color="red" role="alert" title="Could not sign in">
              {problemMessage(login.error)}
              {expired && (
                <>
                  {" "}
                  <Anchor component={Link} to={`/sign-in?next=${encodeURIComponent(next)}`} size="sm">
                    Sign in again
                  </Anchor>
                </>
              )}
            </Alert>
          )}
          {method === "code" ? (
            <TextInput
              key="code"
              label="Code from your authenticator app"
              description="6 digits; it changes every 30 seconds"
              inputMode="numeric"
              autoComplete="one-time-code"
              required
              value={value}
              onChange={(event) => setValue(event.currentTarget.value)}
              data-autofocus
              autoFocus
            />
          ) : (
            <TextInput
              key="recovery"
              label="Recovery code"
              description="One of the codes you saved when you set up two-step sign-in; each works once"
              autoComplete="off"
              spellCheck={false}
              required
              value={value}
              onChange={(event) => setValue(event.currentTarget.value)}
              autoFocus
            />
          )}
          <Button type="submit" loading={login.isPending} fullWidth>
            Sign in
          </Button>
          <Text size="sm" ta="center">
            {method === "code" ? (
              <Anchor component="button" type="button" size="sm" onClick={() => switchTo("recovery_code")}>
                Use a recovery code instead
              </Anchor>
            ) : (
              <Anchor component="button" type="button" size="sm" onClick={() => switchTo("code")}>
                Use your authenticator app instead
              </Anchor>
            )}
          </Text>
          <Text size="sm" ta="center">
            <Anchor component={Link} to="/sign-in" size="sm">
              Back to sign in
            </Anchor>
          </Text>
        </Stack>
      </form>
    </AuthFrame>
  );
}
