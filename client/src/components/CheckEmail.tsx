/**
 * Shown after sign-up until the address is verified (RequireSignIn puts it in place of every page): the API refuses
 * almost everything, so say where the link went.
 */
import { Alert, Button, Group, Stack, Text } from "@mantine/core";
import { useNavigate } from "react-router";
import { problemMessage } from "../lib/problem";
import { useLogout, useMe, useResendVerification } from "../queries/auth";
import { AuthFrame } from "./AuthFrame";

export function CheckEmail() {
  const me = useMe();
  const resend = useResendVerification();
  const logout = useLogout();
  const navigate = useNavigate();
  const email = me.data?.member?.email ?? "your address";
  return (
    <AuthFrame title="Check your email" subtitle="One step before your organisation is ready.">
      <Stack>
        <Text>
          We sent a link to <strong style={{ overflowWrap: "anywhere" }}>{email}</strong>. Open it to verify the address
          and start using Sightline. The link works once, for 24 hours.
        </Text>
        {resend.isSuccess && (
          <Alert color="teal" role="status" title="Sent">
            A new link is on its way; the earlier one no longer works.
          </Alert>
        )}
        {resend.error && (
          <Alert color="red" role="alert" title="Not sent">
            {problemMessage(resend.error)}
          </Alert>
        )}
        <Group justify="space-between">
          <Button variant="default" onClick={() => logout.mutate({}, { onSettled: () => void navigate("/sign-in") })}>
            Sign out
          </Button>
          <Button loading={resend.isPending} onClick={() => resend.mutate({})}>
            Send a new link
          </Button>
        </Group>
      </Stack>
    </AuthFrame>
  );
}
