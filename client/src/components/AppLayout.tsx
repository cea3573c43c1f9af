/** The frame of every signed-in screen: header (cycle, person), navigation (a drawer on phones), main content. */
import { AppShell, Avatar, Burger, Group, Menu, NavLink, Text, UnstyledButton } from "@mantine/core";
import { useDisclosure } from "@mantine/hooks";
import { IconChecklist, IconCoin, IconGauge, IconUserCog, IconHeartbeat, IconHierarchy3, IconListCheck, IconUser, IconLayoutDashboard, IconLogout, IconReportAnalytics, IconSettings } from "@tabler/icons-react";
import { Link, Navigate, Outlet, useLocation, useNavigate } from "react-router";
import { useGates } from "../lib/gates";
import { isAdmin } from "../lib/permissions";
import { useLogout, useMe } from "../queries/auth";
import { useMfaStatus } from "../queries/security";
import { CycleSwitcher } from "./CycleSwitcher";
import { NotificationBell } from "./NotificationBell";
import { OrganisationSwitcher } from "./OrganisationSwitcher";

const NAVIGATION = [
  { to: "/scoreboard", label: "Scoreboard", icon: IconLayoutDashboard },
  { to: "/alignment", label: "Alignment map", icon: IconHierarchy3 },
  { to: "/my-check-ins", label: "My check-ins", icon: IconChecklist },
  { to: "/initiatives", label: "Initiatives", icon: IconCoin },
  { to: "/kpis", label: "KPIs", icon: IconGauge },
  { to: "/review", label: "Review", icon: IconListCheck },
  { to: "/health", label: "Health", icon: IconHeartbeat },
  { to: "/retrospective", label: "Retrospective", icon: IconReportAnalytics },
  { to: "/settings", label: "Settings", icon: IconSettings },
];

export function AppLayout() {
  const [opened, { toggle, close }] = useDisclosure(false);
  const location = useLocation();
  const navigate = useNavigate();
  const me = useMe();
  const logout = useLogout();
  const member = me.data?.member;
  // Owners and admins of an organisation that requires two-step sign-in set it up before anything else.
  const gates = useGates();
  const mfa = useMfaStatus(me.data?.auth === "session" && isAdmin(me.data));
  const mustEnrol =
    gates.has("mfa-enrolment-required") || (mfa.data !== undefined && mfa.data.required && !mfa.data.totp_enabled);
  if (mustEnrol && location.pathname !== "/account") return <Navigate to="/account" replace />;

  return (
    <AppShell
      header={{ height: 64 }}
      navbar={{ width: 220, breakpoint: "sm", collapsed: { mobile: !opened } }}
      padding="md"
    >
      <a className="skip-link" href="#main">
        Skip to content
      </a>
      <AppShell.Header>
        <Group h="100%" px="md" justify="space-between" wrap="nowrap">
          <Group gap="sm" wrap="nowrap">
            <Burger opened={opened} onClick={toggle} hiddenFrom="sm" size="sm" aria-label="Toggle navigation" />
            <Text component={Link} to="/scoreboard" fw={800} size="lg" c="indigo.8" style={{ textDecoration: "none" }}>
              Sightline
            </Text>
          </Group>
          <Group gap="sm" wrap="nowrap">
            {/* Refused while enrolment is due: no call that can only fail. */}
            {!mustEnrol && <CycleSwitcher hideLabel />}
            {member && <NotificationBell enabled={!mustEnrol && gates.size === 0} />}
            <Menu position="bottom-end" withinPortal>
              <Menu.Target>
                <UnstyledButton aria-label={`Account: ${member?.name ?? "signed in"}`}>
                  <Group gap="xs" wrap="nowrap">
                    <Avatar radius="xl" size="sm" color="indigo" aria-hidden>
                      <IconUser size={16} />
                    </Avatar>
                    <Text size="sm" visibleFrom="md" fw={500}>
                      {member?.name}
                    </Text>
                  </Group>
                </UnstyledButton>
              </Menu.Target>
              <Menu.Dropdown>
                <Menu.Label>{me.data?.organisation.name}</Menu.Label>
                <Menu.Item disabled>
                  {member?.email} · {member?.role}
                </Menu.Item>
                <Menu.Item component={Link} to="/account" leftSection={<IconUserCog size={16} aria-hidden />}>
                  Your account
                </Menu.Item>
                <OrganisationSwitcher />
                <Menu.Divider />
                <Menu.Item
                  leftSection={<IconLogout size={16} aria-hidden />}
                  onClick={() => logout.mutate({}, { onSettled: () => void navigate("/sign-in") })}
                >
                  Sign out
                </Menu.Item>
              </Menu.Dropdown>
            </Menu>
          </Group>
        </Group>
      </AppShell.Header>
      <AppShell.Navbar p="sm" aria-label="Main navigation">
        <div>
          {NAVIGATION.map((item) => (
            <NavLink
              key={item.to}
              component={Link}
              to={item.to}
              label={item.label}
              leftSection={<item.icon size={18} aria-hidden />}
              active={location.pathname.startsWith(item.to)}
              variant="filled"
              aria-current={location.pathname.startsWith(item.to) ? "page" : undefined}
              onClick={close}
            />
          ))}
        </div>
      </AppShell.Navbar>
      <AppShell.Main id="main" tabIndex={-1}>
        <Outlet />
      </AppShell.Main>
    </AppShell>
  );
}
