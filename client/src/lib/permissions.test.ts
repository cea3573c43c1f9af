import { describe, expect, it } from "vitest";
import type { Schemas } from "../api/client";
import { assignableRoles, canManageMember, canResetPassword, type Role } from "./permissions";

const member = (id: string, role: Role, active = true): Schemas["MemberPublic"] => ({
  id, email: `${id}@example.test`, name: id, role, active, created_at: "2026-01-01T00:00:00Z",
});
const meAs = (role: Role, id = "me"): Schemas["Me"] => ({
  organisation: { id: "org", name: "Acme", settings: {}, created_at: "2026-01-01T00:00:00Z" },
  member: member(id, role),
  auth: "session",
  scopes: [],
});

describe("role pickers offer roles up to one's own", () => {
  it.each<[Role, Role[]]>([
    ["owner", ["owner", "admin", "member", "viewer"]],
    ["admin", ["admin", "member", "viewer"]],
    ["member", []],
    ["viewer", []],
  ])("%s may give %j", (role, roles) => expect(assignableRoles(meAs(role)).map((item) => item.value)).toEqual(roles));

  it("offers nothing before the API has said who is signed in", () => expect(assignableRoles(undefined)).toEqual([]));

  it("lets an admin manage admins, members and viewers but not an owner", () => {
    expect(canManageMember(meAs("admin"), member("o", "owner"))).toBe(false);
    expect(canManageMember(meAs("admin"), member("a", "admin"))).toBe(true);
    expect(canManageMember(meAs("owner"), member("o", "owner"))).toBe(true);
    expect(canManageMember(meAs("member"), member("v", "viewer"))).toBe(false);
  });
});

describe("password reset by an admin", () => {
  it("is offered for other members below owner", () => {
    expect(canResetPassword(meAs("admin"), member("m", "member"))).toBe(true);
    expect(canResetPassword(meAs("owner"), member("a", "admin"))).toBe(true);
  });

  it("is not offered for an owner, oneself, a removed member, or by a non-admin", () => {
    expect(canResetPassword(meAs("owner"), member("o2", "owner"))).toBe(false);
    expect(canResetPassword(meAs("admin", "me"), member("me", "admin"))).toBe(false);
    expect(canResetPassword(meAs("admin"), member("gone", "member", false))).toBe(false);
    expect(canResetPassword(meAs("member"), member("v", "viewer"))).toBe(false);
  });
});
