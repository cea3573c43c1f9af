/** Single sign-on with an OpenID Connect provider (Google, Microsoft Entra ID, Okta…): an owner configures it; admins
 * see it. The client secret is stored encrypted and never shown. */
import { Alert, Button, Checkbox, Code, CopyButton, Group, PasswordInput, Select, Stack, TagsInput, Text, TextInput } from "@mantine/core";
import { notifications } from "@mantine/notifications";
import { type FormEvent, useState } from "react";
import type { Schemas } from "../../../api/client";
import { FormProblem } from "../../../components/FormProblem";
import { Loading, QueryError } from "../../../components/QueryState";
import { ssoBody, ssoDraftOf, type SsoDraft, validateSso } from "../../../lib/integrationForm";
import { fieldErrors, problemMessage } from "../../../lib/problem";
import { useDeleteSso, usePutSso, useSsoConfig } from "../../../queries/integrations";

export function SingleSignOn({ owner }: { owner: boolean }) {
  const config = useSsoConfig(true);
  if (config.error) return <QueryError error={config.error} onRetry={() => void config.refetch()} />;
  if (config.isPending) return <Loading label="Loading single sign-on" />;
  const current = config.data;
  return (
    <Stack gap="sm">
      <Text size="sm" c="dimmed">
        Let people sign in through your identity provider (OpenID Connect: Google, Microsoft Entra ID, Okta…).
      </Text>
      {current && <Addresses config={current} />}
      {owner ? (
        // Keyed by version: after a save the form starts again from what the API now holds.
        <SsoForm key={current?.version ?? 0} config={current} />
      ) : (
        <Alert color="gray" variant="light" title="Only an owner can change single sign-on">
          {current
            ? `Provider ${current.issuer}, ${current.enabled ? "enabled" : "disabled"}${current.sso_required ? ", required for everyone but owners" : ""}.`
            : "Not configured."}
        </Alert>
      )}
    </Stack>
  );
}

function Addresses({ config }: { config: Schemas["SsoConfigPublic"] }) {
  return (
    <Stack gap={6}>
      {[
        { label: "Redirect URI (register it with the provider)", value: config.redirect_uri },
        { label: "Sign-in link (for your intranet)", value: config.sign_in_url },
      ].map((item) => (
        <Group key={item.label} gap="xs" wrap="wrap">
          <Text size="sm" fw={500}>
            {item.label}
          </Text>
          <Code style={{ wordBreak: "break-all" }}>{item.value}</Code>
          <CopyButton value={item.value}>
            {({ copied, copy }) => (
              <Button size="compact-xs" variant="light" onClick={copy}>
                {copied ? "Copied" : "Copy"}
                <span className="visually-hidden-label"> {item.label}</span>
              </Button>
            )}
          </CopyButton>
        </Group>
      ))}
    </Stack>
  );
}

function SsoForm({ config }: { config: Schemas["SsoConfigPublic"] | null }) {
  const put = usePutSso();
  const remove = useDeleteSso();
  const [draft, setDraft] = useState<SsoDraft>(() => ssoDraftOf(config ?? undefined));
  const [checked, setChecked] = useState(false);
  const errors = { ...fieldErrors(put.error), ...(checked ? validateSso(draft, !!config) : {}) };
  const set = <K extends keyof SsoDraft>(key: K, value: SsoDraft[K]) => setDraft((d) => ({ ...d, [key]: value }));
  const submit = (event: FormEvent) => {
    event.preventDefault();
    setChecked(true);
    if (Object.keys(validateSso(draft, !!config)).length > 0) return;
    put.mutate(
      { body: ssoBody(draft), ifMatch: config ?? "*" },
      { onSuccess: () => notifications.show({ color: "teal", message: "Single sign-on saved" }) },
    );
  };
  return (
    <form onSubmit={submit} noValidate aria-label="Single sign-on provider">
      <FormProblem error={put.error} />
      <Stack gap="sm" maw={640}>
        <TextInput
          label="Issuer"
          description="Google: https://accounts.google.com · Entra ID: https://login.microsoftonline.com/<tenant-id>/v2.0 · Okta: https://<org>.okta.com"
          required
          value={draft.issuer}
          onChange={(e) => set("issuer", e.currentTarget.value)}
          error={errors.issuer}
        />
        <TextInput label="Client ID" required value={draft.client_id} onChange={(e) => set("client_id", e.currentTarget.value)} error={errors.client_id} />
        <PasswordInput
          label="Client secret"
          description={config ? "Stored encrypted; leave empty to keep the saved one" : "Stored encrypted, never shown again"}
          required={!config}
          autoComplete="off"
          value={draft.client_secret}
          onChange={(e) => set("client_secret", e.currentTarget.value)}
          error={errors.client_secret}
        />
        <TagsInput
          label="Allowed email domains"
          description="People of these domains may sign in without a verified-email claim, and get members created"
          placeholder="acme.com"
          value={draft.allowed_domains}
          onChange={(value) => set("allowed_domains", value)}
          error={errors.allowed_domains ?? Object.entries(errors).find(([key]) => key.startsWith("allowed_domains."))?.[1]}
        />
        <Checkbox
          label="Create a member at first sign-in (allowed domains only)"
          checked={draft.auto_create_members}
          onChange={(e) => set("auto_create_members", e.currentTarget.checked)}
        />
        <Select
          label="Role of members created at sign-in"
          data={[
            { value: "member", label: "Member" },
            { value: "viewer", label: "Viewer" },
          ]}
          value={draft.default_role}
          onChange={(value) => value && set("default_role", value)}
          allowDeselect={false}
          error={errors.default_role}
        />
        <Checkbox
          label="Require single sign-on (owners keep their password as the way back in)"
          checked={draft.sso_required}
          onChange={(e) => set("sso_required", e.currentTarget.checked)}
        />
        <Checkbox
          label="Owners may sign in through the provider too"
          checked={draft.owner_sign_in}
          onChange={(e) => set("owner_sign_in", e.currentTarget.checked)}
        />
        <Checkbox label="Enabled" checked={draft.enabled} onChange={(e) => set("enabled", e.currentTarget.checked)} />
        <Group justify="space-between">
          {config ? (
            <Button
              variant="subtle"
              color="red"
              loading={remove.isPending}
              onClick={() =>
                remove.mutate(
                  { ifMatch: config },
                  {
                    onSuccess: () => notifications.show({ color: "teal", message: "Single sign-on removed" }),
                    onError: (error) => notifications.show({ color: "red", title: "Not removed", message: problemMessage(error) }),
                  },
                )
              }
            >
              Remove single sign-on
            </Button>
          ) : (
            <span />
          )}
          <Button type="submit" loading={put.isPending}>
            Save single sign-on
          </Button>
        </Group>
      </Stack>
    </form>
  );
}
