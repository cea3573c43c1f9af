/** Account-menu entries to switch to another organisation of the same email (those the sign-in offered). A switch
 * signs out here and opens the sign-in with that organisation chosen: each organisation's account asks for its own
 * password (and second step), so no session opens another organisation's data by itself. */
import { Menu } from "@mantine/core";
import { IconSwitchHorizontal } from "@tabler/icons-react";
import { knownOrganisations } from "../lib/organisations";
import { useLogout, useMe } from "../queries/auth";

export function OrganisationSwitcher() {
  const me = useMe();
  const logout = useLogout();
  const email = me.data?.member?.email;
  const current = me.data?.organisation.id;
  const others = knownOrganisations(email).filter((organisation) => organisation.id !== current);
  if (!email || others.length === 0) return null;
  // mutateAsync, not mutate's callbacks: the ended session unmounts this menu before a callback could run.
  const switchTo = async (id: string) => {
    await logout.mutateAsync({}).catch(() => undefined); // an already-ended session is fine: sign in anyway
    // A full page load: nothing of the previous organisation stays in memory.
    window.location.assign(`/sign-in?email=${encodeURIComponent(email)}&organisation=${encodeURIComponent(id)}`);
  };
  return (
    <>
      <Menu.Divider />
      <Menu.Label>Switch organisation</Menu.Label>
      {others.map((organisation) => (
        <Menu.Item
          key={organisation.id}
          leftSection={<IconSwitchHorizontal size={16} aria-hidden />}
          onClick={() => void switchTo(organisation.id)}
        >
          {organisation.name}
        </Menu.Item>
      ))}
    </>
  );
}
