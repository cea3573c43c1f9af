/** Settings: one tab per area, each its own address. */
import { Stack, Tabs, Title } from "@mantine/core";
import { Outlet, useLocation, useNavigate } from "react-router";
import { isAdmin } from "../../lib/permissions";
import { useMe } from "../../queries/auth";

const TABS: { value: string; label: string; admin?: boolean }[] = [
  { value: "organisation", label: "Organisation" },
  { value: "members", label: "Members" },
  { value: "teams", label: "Teams" },
  { value: "cycles", label: "Cycles" },
  { value: "api-keys", label: "API keys" },
  { value: "webhooks", label: "Webhooks" },
  { value: "integrations", label: "Integrations" },
  { value: "notifications", label: "Notifications" },
  // The delivery log is the admins' (the API refuses it to anyone else): not offered to others.
  { value: "mail", label: "Mail log", admin: true },
];

export function SettingsLayout() {
  const location = useLocation();
  const navigate = useNavigate();
  const me = useMe();
  const current = location.pathname.split("/")[2] ?? "organisation";
  const tabs = TABS.filter((tab) => !tab.admin || isAdmin(me.data));
  return (
    <Stack gap="md">
      <Title order={1}>Settings</Title>
      <Tabs value={current} onChange={(value) => value && void navigate(`/settings/${value}`)}>
        {/* The tabs wrap onto a second line on a phone: every area stays visible, none hides off-screen. */}
        <Tabs.List aria-label="Settings areas" style={{ flexWrap: "wrap" }}>
          {tabs.map((tab) => (
            <Tabs.Tab key={tab.value} value={tab.value}>
              {tab.label}
            </Tabs.Tab>
          ))}
        </Tabs.List>
      </Tabs>
      <Outlet />
    </Stack>
  );
}
