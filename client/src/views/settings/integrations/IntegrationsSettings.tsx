/** Settings → Integrations (admin): data sources that feed key results, SQL connections, chat channels, team digests,
 * and single sign-on (owner). Each section reads only what it shows. */
import { Divider, Stack, Text, Title } from "@mantine/core";
import type { ReactNode } from "react";
import { EmptyState } from "../../../components/QueryState";
import { isAdmin } from "../../../lib/permissions";
import { useMe } from "../../../queries/auth";
import { ChatDestinations } from "./ChatDestinations";
import { DataSources } from "./DataSources";
import { SingleSignOn } from "./SingleSignOn";
import { SqlConnections } from "./SqlConnections";
import { TeamDigests } from "./TeamDigests";

function Section({ id, title, children }: { id: string; title: string; children: ReactNode }) {
  return (
    <Stack gap="sm" component="section" aria-labelledby={id}>
      <Title order={2} size="h3" id={id}>
        {title}
      </Title>
      {children}
    </Stack>
  );
}

export function IntegrationsSettings() {
  const me = useMe();
  if (!isAdmin(me.data))
    return (
      <EmptyState title="Integrations are for admins">
        Ask an owner or admin to connect data sources, chat channels or single sign-on.
      </EmptyState>
    );
  return (
    <Stack gap="lg">
      <Text size="sm" c="dimmed">
        Connect Sightline to where your numbers live, to your team chat and to your identity provider.
      </Text>
      <Section id="integrations-sources" title="Data sources">
        <DataSources />
      </Section>
      <Section id="integrations-sql" title="SQL connections">
        <SqlConnections />
      </Section>
      <Divider />
      <Section id="integrations-chat" title="Chat channels">
        <ChatDestinations />
      </Section>
      <Section id="integrations-digests" title="Team digests">
        <TeamDigests />
      </Section>
      <Divider />
      <Section id="integrations-sso" title="Single sign-on">
        <SingleSignOn owner={me.data?.member?.role === "owner"} />
      </Section>
    </Stack>
  );
}
