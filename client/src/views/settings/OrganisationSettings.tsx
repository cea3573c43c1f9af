/**
 * Organisation name and settings: status thresholds, default cadence, currency, time zone, and whether owners and
 * admins must use two-step sign-in (If-Match guarded).
 */
import { Button, Group, NumberInput, Paper, Select, SimpleGrid, Stack, Switch, Text, TextInput, Title } from "@mantine/core";
import { notifications } from "@mantine/notifications";
import { type FormEvent, useState } from "react";
import type { Schemas } from "../../api/client";
import { FormProblem } from "../../components/FormProblem";
import { Loading, QueryError } from "../../components/QueryState";
import { isAdmin } from "../../lib/permissions";
import { fieldErrors, isConflict } from "../../lib/problem";
import { CADENCE_LABEL } from "../../lib/status";
import { useMe } from "../../queries/auth";
import { useOrganisation, useUpdateOrganisation } from "../../queries/organisation";

export function OrganisationSettings() {
  const organisation = useOrganisation();
  const me = useMe();
  if (organisation.error) return <QueryError error={organisation.error} onRetry={() => void organisation.refetch()} />;
  if (organisation.isPending) return <Loading label="Loading the organisation" />;
  return (
    <OrganisationForm
      key={organisation.data.etag}
      organisation={organisation.data.organisation}
      etag={organisation.data.etag}
      editable={isAdmin(me.data)}
      owner={me.data?.member?.role === "owner"}
    />
  );
}

function OrganisationForm({
  organisation,
  etag,
  editable,
  owner,
}: {
  organisation: Schemas["OrganisationPublic"];
  etag: string;
  editable: boolean;
  owner: boolean;
}) {
  const settings = organisation.settings;
  const [name, setName] = useState(organisation.name);
  const [draft, setDraft] = useState({
    on_track_gap: settings.on_track_gap ?? 0.1,
    at_risk_gap: settings.at_risk_gap ?? 0.25,
    low_confidence: settings.low_confidence ?? 3,
    default_cadence: settings.default_cadence ?? "weekly",
    currency: settings.currency ?? "EUR",
    time_zone: settings.time_zone ?? "UTC",
    mfa_required_for_admins: settings.mfa_required_for_admins ?? false,
  });
  const update = useUpdateOrganisation();
  const errors = fieldErrors(update.error);
  const submit = (event: FormEvent) => {
    event.preventDefault();
    update.mutate(
      {
        ifMatch: etag,
        // The MFA requirement is an owner's (recently signed-in) change: sent only when it changed.
        body: {
          name: name.trim(),
          settings: {
            ...draft,
            mfa_required_for_admins:
              draft.mfa_required_for_admins === (settings.mfa_required_for_admins ?? false)
                ? undefined
                : draft.mfa_required_for_admins,
          },
        },
      },
      { onSuccess: () => notifications.show({ color: "teal", message: "Settings saved" }) },
    );
  };
  return (
    <Paper withBorder p="md">
      <form onSubmit={submit} noValidate aria-label="Organisation settings">
        <FormProblem
          error={update.error}
          title={isConflict(update.error) ? "Someone else changed the settings; reload the page to see theirs" : "Not saved"}
        />
        <Stack>
          <TextInput label="Organisation name" value={name} onChange={(e) => setName(e.currentTarget.value)} error={errors.name} disabled={!editable} />
          <Title order={2} size="h5">
            Status thresholds
          </Title>
          <Text size="sm" c="dimmed">
            A key result is on track while its progress trails the plan by at most the first gap, at risk up to the
            second, off track beyond; a confidence at or below the low mark turns “on track” into “at risk”.
          </Text>
          <SimpleGrid cols={{ base: 1, sm: 3 }}>
            <NumberInput
              label="On-track gap"
              min={0}
              max={1}
              step={0.05}
              decimalScale={2}
              value={draft.on_track_gap}
              onChange={(value) => setDraft({ ...draft, on_track_gap: Number(value) })}
              error={errors["settings.on_track_gap"]}
              disabled={!editable}
            />
            <NumberInput
              label="At-risk gap"
              min={0}
              max={1}
              step={0.05}
              decimalScale={2}
              value={draft.at_risk_gap}
              onChange={(value) => setDraft({ ...draft, at_risk_gap: Number(value) })}
              error={errors["settings.at_risk_gap"]}
              disabled={!editable}
            />
            <NumberInput
              label="Low confidence (0–10)"
              min={0}
              max={10}
              allowDecimal={false}
              value={draft.low_confidence}
              onChange={(value) => setDraft({ ...draft, low_confidence: Number(value) })}
              error={errors["settings.low_confidence"]}
              disabled={!editable}
            />
          </SimpleGrid>
          <SimpleGrid cols={{ base: 1, sm: 3 }}>
            <Select
              label="Default cadence"
              data={Object.entries(CADENCE_LABEL).map(([value, label]) => ({ value, label }))}
              value={draft.default_cadence}
              onChange={(value) => value && setDraft({ ...draft, default_cadence: value as typeof draft.default_cadence })}
              allowDeselect={false}
              disabled={!editable}
            />
            <TextInput
              label="Currency"
              value={draft.currency}
              onChange={(e) => setDraft({ ...draft, currency: e.currentTarget.value.toUpperCase() })}
              error={errors["settings.currency"]}
              maxLength={3}
              disabled={!editable}
            />
            <TextInput
              label="Time zone"
              value={draft.time_zone}
              onChange={(e) => setDraft({ ...draft, time_zone: e.currentTarget.value })}
              error={errors["settings.time_zone"]}
              disabled={!editable}
            />
          </SimpleGrid>
          <Title order={2} size="h5">
            Sign-in
          </Title>
          <Switch
            label="Owners and admins must use two-step sign-in"
            description={
              owner
                ? "They sign in with a code from an authenticator app as well. Until they set it up, Sightline shows them only the page to do so."
                : "They sign in with a code from an authenticator app as well. Only an owner changes this."
            }
            checked={draft.mfa_required_for_admins}
            onChange={(event) => setDraft({ ...draft, mfa_required_for_admins: event.currentTarget.checked })}
            error={errors["settings.mfa_required_for_admins"]}
            disabled={!owner}
          />
          {editable ? (
            <Group justify="flex-end">
              <Button type="submit" loading={update.isPending}>
                Save settings
              </Button>
            </Group>
          ) : (
            <Text size="sm" c="dimmed">
              Only owners and admins change these settings.
            </Text>
          )}
        </Stack>
      </form>
    </Paper>
  );
}
