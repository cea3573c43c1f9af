/**
 * The link from the verification email (`/verify-email?token=…`): sends the token once, then continues into the app.
 * Without a session the API answers 401: sign in first, then this page runs again.
 */
import { Alert, Anchor, Button, Stack, Text } from "@mantine/core";
import { useEffect, useRef } from "react";
import { Link, Navigate, useNavigate, useSearchParams } from "react-router";
import { AuthFrame } from "../components/AuthFrame";
import { Loading } from "../components/QueryState";
import { clearGate } from "../lib/gates";
import { isProblem, problemMessage } from "../lib/problem";
import { useVerifyEmail } from "../queries/auth";

export function VerifyEmailView() {
  const [params] = useSearchParams();
  const token = params.get("token") ?? "";
  const verify = useVerifyEmail();
  const navigate = useNavigate();
  const sent = useRef(false);
  useEffect(() => {
    // Once: the token is single-use, and React runs effects twice in development.
    if (!token || sent.current) return;
    sent.current = true;
    verify.mutate(
      { body: { token } },
      {
        onSuccess: () => {
          clearGate("email-verification-required");
          void navigate("/scoreboard?welcome=1", { replace: true });
        },
      },
    );
  }, [token, verify, navigate]);

  if (isProblem(verify.error) && verify.error.status === 401) {
    const here = `/verify-email?token=${encodeURIComponent(token)}`;
    return <Navigate to={`/sign-in?next=${encodeURIComponent(here)}`} replace />;
  }
  return (
    <AuthFrame title="Verify your email" subtitle="One moment while we check your link.">
      {!token ? (
        <Stack>
          <Alert color="red" role="alert" title="This link is incomplete">
            Open the link from the email again, or ask for a new one.
          </Alert>
          <Anchor component={Link} to="/scoreboard">
            Continue
          </Anchor>
        </Stack>
      ) : verify.error ? (
        <Stack>
          <Alert color="red" role="alert" title="Could not verify the address">
            {problemMessage(verify.error)}
          </Alert>
          <Text size="sm">The link works once and for 24 hours. Sign in to ask for a new one.</Text>
          <Button component={Link} to="/scoreboard">
            Continue
          </Button>
        </Stack>
      ) : (
        <Loading label="Verifying your email address" />
      )}
    </AuthFrame>
  );
}
