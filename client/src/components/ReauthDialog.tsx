/**
 * "Confirm it's you": opened by the API client when a sensitive action answers 403 `recent-sign-in-required`. It calls
 * POST /auth/reauthenticate with the password (or an authenticator code) and lets the client send the action again;
 * Cancel hands the refusal back to the screen that asked.
 */
import { Alert, Anchor, Button, Group, Modal, PasswordInput, Stack, Text, TextInput } from "@mantine/core";
import { type FormEvent, useEffect, useState } from "react";
import { fetchClient, setReauthPrompt } from "../api/client";
import { problemMessage } from "../lib/problem";
import { useMfaStatus } from "../queries/security";

export function ReauthDialog() {
  const [resolve, setResolve] = useState<((ok: boolean) => void) | null>(null);
  const [method, setMethod] = useState<"password" | "code">("password");
  const [secret, setSecret] = useState("");
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const opened = resolve !== null;
  const mfa = useMfaStatus(opened);

  useEffect(() => {
    setReauthPrompt(() => new Promise<boolean>((done) => setResolve(() => done)));
    return () => setReauthPrompt(null);
  }, []);

  const finish = (ok: boolean) => {
    resolve?.(ok);
    setResolve(null);
    setSecret("");
    setError(null);
    setMethod("password");
  };
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    if (!secret) return;
    setBusy(true);
    try {
      const body = method === "password" ? { password: secret } : { code: secret.replace(/\s/g, "") };
      const { error: refused } = await fetchClient.POST("/api/v1/auth/reauthenticate", { body });
      if (refused !== undefined) setError(refused);
      else finish(true);
    } catch (failure) {
      setError(failure);
    } finally {
      setBusy(false);
    }
  };
  const other = method === "password" ? "code" : "password";
  return (
    <Modal opened={opened} onClose={() => finish(false)} title="Confirm it's you" zIndex={400} closeOnClickOutside={false}>
      <form onSubmit={(event) => void submit(event)} noValidate aria-label="Confirm it's you">
        <Stack>
          <Text size="sm">
            This action needs a recent sign-in. Confirm with your {method === "password" ? "password" : "authenticator code"}, and
            it goes ahead.
          </Text>
          {error !== null && (
            <Alert color="red" role="alert" title="Not confirmed">
              {problemMessage(error)}
            </Alert>
          )}
          {method === "password" ? (
            <PasswordInput
              label="Your password"
              autoComplete="current-password"
              required
              value={secret}
              onChange={(event) => setSecret(event.currentTarget.value)}
              data-autofocus
            />
          ) : (
            <TextInput
              label="Authenticator code"
              description="The 6-digit code your app shows now"
              inputMode="numeric"
              autoComplete="one-time-code"
              required
              value={secret}
              onChange={(event) => setSecret(event.currentTarget.value)}
              data-autofocus
            />
          )}
          {mfa.data?.totp_enabled && (
            <Anchor
              component="button"
              type="button"
              size="sm"
              onClick={() => {
                setMethod(other);
                setSecret("");
                setError(null);
              }}
            >
              {other === "code" ? "Use an authenticator code instead" : "Use your password instead"}
            </Anchor>
          )}
          <Group justify="flex-end">
            <Button variant="default" onClick={() => finish(false)}>
              Cancel
            </Button>
            <Button type="submit" loading={busy}>
              Confirm
            </Button>
          </Group>
        </Stack>
      </form>
    </Modal>
  );
}
