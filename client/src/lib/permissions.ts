/** What the signed-in person may do (the API enforces it; the screens only hide what would be refused). */
import type { Schemas } from "../api/client";

export function canWrite(me: Schemas["Me"] | undefined): boolean {
  return !!me && me.member?.role !== "viewer" && (me.auth === "session" || me.scopes.includes("write"));
}

export function isAdmin(me: Schemas["Me"] | undefined): boolean {
  return !!me && (me.member?.role === "owner" || me.member?.role === "admin");
}
