/**
 * Two-step sign-in on the account page: set up an authenticator app (QR code or the secret typed in, then a first
 * code), recovery codes shown once, new codes, turning it off. The secret and codes live only in this component's
 * state; starting, new codes and turning off may ask for a recent sign-in first (the re-auth dialog).
 */
import { Alert, Badge, Button, Code, CopyButton, Group, Image, Modal, Paper, Stack, Text, TextInput, Title } from "@mantine/core";
import { useDisclosure } from "@mantine/hooks";
import { notifications } from "@mantine/notifications";
import { type FormEvent, useState } from "react";
import type { Schemas } from "../api/client";
import { fieldErrors, problemMessage } from "../lib/problem";
import { useConfirmTotp, useDisableTotp, useMfaStatus, useNewRecoveryCodes, useStartTotp } from "../queries/security";
import { FormProblem } from "./FormProblem";
import { Loading, QueryError } from "./QueryState";
import { RecoveryCodes } from "./RecoveryCodes";

/** The QR code as an image (a data: URL of the SVG): the API's markup is never put into this page's DOM. */
export function qrImageSource(svg: string): string {
  return `data:image/svg+xml;charset=utf-8,${encodeURIComponent(svg)}`;
}

/** A base32 secret in groups of four, easier to type. */
export function groupSecret(secret: string): string {
  return secret.replace(/(.{4})(?=.)/g, "$1 ");
}

export function TwoStepSection({ email }: { email: string }) {
  const status = useMfaStatus();
  const [codes, setCodes] = useState<string[] | null>(null);
  return (
    <Paper withBorder p="md">
      <Stack aria-labelledby="two-step-title" component="section">
        <Group justify="space-between">
          <Title order={2} size="h4" id="two-step-title">
            Two-step sign-in
          </Title>
          {status.data && (
            <Badge variant="outline" color={status.data.totp_enabled ? "teal.9" : "gray.8"}>
              {status.data.totp_enabled ? "On" : "Off"}
            </Badge>
          )}
        </Group>
        {status.error ? (
          <QueryError error={status.error} onRetry={() => void status.refetch()} />
        ) : status.isPending ? (
          <Loading label="Loading two-step sign-in" />
        ) : codes ? (
          <RecoveryCodes codes={codes} label={email} onDone={() => setCodes(null)} />
        ) : status.data.totp_enabled ? (
          <Enabled status={status.data} onCodes={setCodes} />
        ) : (
          <Enrol required={status.data.required} onCodes={setCodes} />
        )}
      </Stack>
    </Paper>
  );
}

function Enrol({ required, onCodes }: { required: boolean; onCodes: (codes: string[]) => void }) {
  const start = useStartTotp();
  const confirm = useConfirmTotp(onCodes);
  const [enrolment, setEnrolment] = useState<Schemas["TotpEnrolment"] | null>(null);
  const [code, setCode] = useState("");
  const errors = fieldErrors(confirm.error);
  const submit = (event: FormEvent) => {
    event.preventDefault();
    // On success the section shows the recovery codes in this form's place (useConfirmTotp hands them over).
    confirm.mutate({ body: { code: code.replace(/\s/g, "") } });
  };
  if (!enrolment) {
    return (
      <Stack>
        {required && (
          <Alert color="orange" role="alert" title="Your organisation requires two-step sign-in">
            Owners and admins of your organisation sign in with a code from an authenticator app as well. Set it up to
            go on using Sightline.
          </Alert>
        )}
        <Text size="sm">
          Besides your password, sign in with a code from an authenticator app on your phone (any app for time-based
          codes, such as 1Password, Google Authenticator or Aegis).
        </Text>
        <FormProblem error={start.error} title="Could not start" />
        <Group>
          <Button loading={start.isPending} onClick={() => start.mutate({}, { onSuccess: setEnrolment })}>
            Set up an authenticator app
          </Button>
        </Group>
      </Stack>
    );
  }
  return (
    <form onSubmit={submit} noValidate aria-label="Set up an authenticator app">
      <Stack>
        <Text size="sm">1. Scan this QR code with your authenticator app.</Text>
        <Image
          src={qrImageSource(enrolment.qr_svg)}
          alt="QR code to add Sightline to your authenticator app"
          w={200}
          h={200}
          fit="contain"
          bg="white"
          data-testid="totp-qr"
        />
        <Text size="sm">Or type this key into the app (time-based, 6 digits):</Text>
        <Group gap="xs">
          <Code fz="md" data-testid="totp-secret" style={{ wordBreak: "break-all" }}>
            {groupSecret(enrolment.secret)}
          </Code>
          <CopyButton value={enrolment.secret}>
            {({ copied, copy }) => (
              <Button size="compact-sm" variant="light" onClick={copy}>
                {copied ? "Copied" : "Copy key"}
              </Button>
            )}
          </CopyButton>
        </Group>
        <TextInput
          label="2. The 6-digit code the app shows"
          inputMode="numeric"
          autoComplete="one-time-code"
          required
          maw={240}
          value={code}
          onChange={(event) => setCode(event.currentTarget.value)}
          error={errors.code}
        />
        {Object.keys(errors).length === 0 && <FormProblem error={confirm.error} title="Not turned on" />}
        <Group>
          <Button variant="default" onClick={() => setEnrolment(null)}>
            Cancel
          </Button>
          <Button type="submit" loading={confirm.isPending}>
            Turn on two-step sign-in
          </Button>
        </Group>
      </Stack>
    </form>
  );
}

function Enabled({ status, onCodes }: { status: Schemas["MfaStatus"]; onCodes: (codes: string[]) => void }) {
  const renew = useNewRecoveryCodes(onCodes);
  const disable = useDisableTotp();
  const [confirming, { open, close }] = useDisclosure(false);
  const left = status.recovery_codes_left;
  return (
    <Stack>
      <Text size="sm">
        You sign in with your password and a code from your authenticator app.{" "}
        <Text span fw={600} c={left <= 2 ? "red.9" : undefined}>
          {left} recovery code{left === 1 ? "" : "s"} left.
        </Text>
      </Text>
      {status.required && (
        <Text size="sm" c="dimmed">
          Your organisation requires two-step sign-in for your role, so it cannot be turned off.
        </Text>
      )}
      <FormProblem error={renew.error} title="No new codes" />
      <Group>
        <Button
          variant="light"
          loading={renew.isPending}
          onClick={() => renew.mutate({})}
        >
          New recovery codes
        </Button>
        {!status.required && (
          <Button variant="outline" color="red.9" onClick={open}>
            Turn off two-step sign-in
          </Button>
        )}
      </Group>
      <Modal opened={confirming} onClose={close} title="Turn off two-step sign-in?">
        <Stack>
          <FormProblem error={disable.error} title="Still on" />
          <Text size="sm">
            Your password alone will sign you in again; your authenticator app and recovery codes stop working.
          </Text>
          <Group justify="flex-end">
            <Button variant="default" onClick={close}>
              Cancel
            </Button>
            <Button
              color="red.9"
              loading={disable.isPending}
              onClick={() =>
                disable.mutate(
                  {},
                  {
                    onSuccess: () => {
                      close();
                      notifications.show({ message: "Two-step sign-in is off" });
                    },
                    onError: (error) => notifications.show({ color: "red", message: problemMessage(error) }),
                  },
                )
              }
            >
              Turn off
            </Button>
          </Group>
        </Stack>
      </Modal>
    </Stack>
  );
}
