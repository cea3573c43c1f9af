/** Account-menu entries to switch to another organisation of the same email (those the sign-in offered). A switch
 * signs out here and opens the sign-in with that organisation chosen: each organisation's account asks for its own
 * password (and second step), so no session opens another organisation's data by itself. */
import { Menu } from "@mantine/core";
import { IconSwitchHorizontal } from "@tabler/icons-react";
import { useNavigate } from "react-router";
import { knownOrganisations } from "../lib/organisations";
import { useLogout, useMe } from "../queries/auth";

export function OrganisationSwitcher() {
  const me = useMe();
  const logout = useLogout();
  const navigate = useNavigate();
  const email = me.data?.member?.email;
  const current = me.data?.organisation.id;
  const others = knownOrganisations(email).filter((organisation) => organisation.id !== current);
  if (!email || others.length === 0) return null;
  const switchTo = (id: string) =>
    logout.mutate(
      {},
      {
        onSettled: () =>
          void navigate(`/sign-in?email=${encodeURIComponent(email)}&organisation=${encodeURIComponent(id)}`),
      },
    );
  return (
    <>
      <Menu.Divider />
      <Menu.Label>Switch organisation</Menu.Label>
      {others.map((organisation) => (
        <Menu.Item
          key={organisation.id}
          leftSection={<IconSwitchHorizontal size={16} aria-hidden />}
          onClick={() => switchTo(organisation.id)}
        >
          {organisation.name}
        </Menu.Item>
      ))}
    </>
  );
}
