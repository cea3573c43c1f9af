/** What the signed-in person may do (the API enforces it; the screens only hide what would be refused). */
import type { Schemas } from "../api/client";

export type Role = Schemas["MemberPublic"]["role"];
type Member = Schemas["MemberPublic"];

/** Highest first: a role may hand out itself and the roles below it, never one above (the API refuses that). */
export const ROLES: readonly { value: Role; label: string }[] = [
  { value: "owner", label: "Owner" },
  { value: "admin", label: "Admin" },
  { value: "member", label: "Member" },
  { value: "viewer", label: "Viewer" },
];

function rank(role: Role): number {
  return ROLES.findIndex((item) => item.value === role);
}

export function canWrite(me: Schemas["Me"] | undefined): boolean {
  return !!me && me.member?.role !== "viewer" && (me.auth === "session" || me.scopes.includes("write"));
}

export function isAdmin(me: Schemas["Me"] | undefined): boolean {
  return !!me && (me.member?.role === "owner" || me.member?.role === "admin");
}

/** The roles the signed-in person may give: their own and those below it; none for a member or viewer. */
export function assignableRoles(me: Schemas["Me"] | undefined): { value: Role; label: string }[] {
  const own = me?.member?.role;
  if (!own || !isAdmin(me)) return [];
  return ROLES.filter((item) => rank(item.value) >= rank(own));
}

/** Change the role of, or remove, this member: an admin, and only an owner touches an owner. */
export function canManageMember(me: Schemas["Me"] | undefined, member: Member): boolean {
  return isAdmin(me) && assignableRoles(me).some((item) => item.value === member.role);
}

/**
 * Give this member a new generated password: an admin, not for an owner (only that owner or the operator changes an
 * owner's password) and not for oneself (one's own change asks for the current password).
 */
export function canResetPassword(me: Schemas["Me"] | undefined, member: Member): boolean {
  return isAdmin(me) && member.role !== "owner" && member.id !== me?.member?.id && member.active;
}
