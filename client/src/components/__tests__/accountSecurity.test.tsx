import { screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it } from "vitest";
import { renderWithProviders, stubApi } from "../../test/render";
import { AccountView } from "../../views/AccountView";
import { ApiKeysSettings } from "../../views/settings/ApiKeysSettings";
import { MembersSettings } from "../../views/settings/MembersSettings";

const page = (items: unknown[]) => ({ items, next_cursor: null });
const member = (id: string, name: string, role: string) => ({
  id, email: `${id}@example.test`, name, role, active: true, created_at: "2026-01-01T00:00:00Z",
});
const meAs = (role: string) => ({
  organisation: { id: "org", name: "Acme", settings: { currency: "EUR" }, created_at: "2026-01-01T00:00:00Z" },
  member: member("me", "Ada Admin", role),
  auth: "session",
  scopes: ["read", "write", "admin"],
});
const problem = (status: number, detail: string, errors?: unknown[]) => ({
  type: "/problems/x", title: "Refused", status, detail, ...(errors ? { errors } : {}),
});

async function typeInto(label: RegExp, text: string) {
  const user = userEvent.setup();
  await user.click(screen.getByLabelText(label));
  await user.paste(text);
}

/** What a screen reader reads after the field's label: its description and error (aria-describedby). */
function description(label: RegExp): string {
  const ids = screen.getByLabelText(label).getAttribute("aria-describedby") ?? "";
  return ids
    .split(" ")
    .filter(Boolean)
    .map((id) => document.getElementById(id)?.textContent ?? "")
    .join(" ");
}

describe("Your account: password change", () => {
  it("checks the rules before sending, then says other sessions were signed out", async () => {
    const calls = stubApi({ "GET /api/v1/me": meAs("member"), "POST /api/v1/me/password": () => [204, null] });
    renderWithProviders(<AccountView />);
    const user = userEvent.setup();
    await screen.findByRole("heading", { name: "Change your password" });
    await typeInto(/^Current password/, "old password 1");
    await typeInto(/^New password/, "short");
    await user.click(screen.getByRole("button", { name: "Change password" }));
    expect(await screen.findByText(/At least 12 characters \(5 so far\)/)).toBeTruthy();
    expect(calls.filter((call) => call.method === "POST")).toHaveLength(0);

    await user.clear(screen.getByLabelText(/^New password/));
    await typeInto(/^New password/, "correct horse battery");
    await typeInto(/^Repeat the new password/, "correct horse battery");
    await user.click(screen.getByRole("button", { name: "Change password" }));
    expect(await screen.findByText(/Your other sessions were signed out/)).toBeTruthy();
    const posts = calls.filter((call) => call.method === "POST");
    expect(posts).toHaveLength(1);
    expect(posts[0]!.path).toBe("/api/v1/me/password");
    expect(posts[0]!.body).toEqual({ current_password: "old password 1", new_password: "correct horse battery" });
    expect(screen.getByLabelText<HTMLInputElement>(/^Current password/).value).toBe("");
  });

  it("puts the API's problems on their fields: a wrong current password, a refused new one", async () => {
    let answer: [number, unknown] = [403, problem(403, "the current password is wrong")];
    stubApi({ "GET /api/v1/me": meAs("member"), "POST /api/v1/me/password": () => answer });
    renderWithProviders(<AccountView />);
    const user = userEvent.setup();
    await screen.findByRole("heading", { name: "Change your password" });
    await typeInto(/^Current password/, "guess guess");
    await typeInto(/^New password/, "correct horse battery");
    await typeInto(/^Repeat the new password/, "correct horse battery");
    await user.click(screen.getByRole("button", { name: "Change password" }));
    await waitFor(() => expect(description(/^Current password/)).toBe("The current password is wrong"));

    answer = [
      422,
      problem(422, "1 field is invalid", [
        { loc: ["body", "new_password"], message: "choose a password other than the current one", type: "value_error" },
      ]),
    ];
    await user.click(screen.getByRole("button", { name: "Change password" }));
    await waitFor(() => expect(description(/^New password/)).toContain("choose a password other than the current one"));
    expect(description(/^Current password/)).toBe("");
  });
});

describe("Members: role pickers and password reset", () => {
  const members = page([
    member("o1", "Olivia Owner", "owner"),
    member("me", "Ada Admin", "admin"),
    member("m1", "Max Member", "member"),
  ]);

  it("offers an admin no owner role, and no reset or removal for the owner or oneself", async () => {
    stubApi({ "GET /api/v1/me": meAs("admin"), "GET /api/v1/members": members });
    renderWithProviders(<MembersSettings />);
    const user = userEvent.setup();
    await user.click(await screen.findByRole("combobox", { name: "Role of Max Member" }));
    const listbox = await screen.findByRole("listbox", { name: "Role of Max Member", hidden: true });
    const options = within(listbox).getAllByRole("option", { hidden: true }).map((option) => option.textContent);
    expect(options).toEqual(["Admin", "Member", "Viewer"]);
    expect(screen.queryByRole("combobox", { name: "Role of Olivia Owner" })).toBeNull();

    const names = screen.getAllByRole("button").map((button) => button.textContent);
    expect(names).toContain("Reset password of Max Member");
    expect(names).not.toContain("Reset password of Olivia Owner");
    expect(names).not.toContain("Reset password of Ada Admin");
    expect(names).not.toContain("Remove Olivia Owner");
  });

  it("resets after confirming and shows the generated password once", async () => {
    const calls = stubApi({
      "GET /api/v1/me": meAs("owner"),
      "GET /api/v1/members": members,
      "POST /api/v1/members/m1/password-reset": () => [200, { password: "Gx7-generated-once" }],
    });
    renderWithProviders(<MembersSettings />);
    const user = userEvent.setup();
    await user.click(await screen.findByRole("button", { name: /^Reset password\s*of Max Member$/ }));
    const dialog = await screen.findByRole("dialog");
    expect(calls.filter((call) => call.method === "POST")).toHaveLength(0);
    await user.click(within(dialog).getByRole("button", { name: "Reset password" }));
    expect(await within(dialog).findByText("Gx7-generated-once")).toBeTruthy();
    expect(within(dialog).getByText(/cannot be shown again/)).toBeTruthy();
    expect(within(dialog).getByRole("button", { name: "Copy password" })).toBeTruthy();
    expect(calls.filter((call) => call.method === "POST")).toHaveLength(1);

    await user.click(within(dialog).getByRole("button", { name: "I have passed it on" }));
    await waitFor(() => expect(screen.queryByText("Gx7-generated-once")).toBeNull());
  });
});

describe("API keys: creator and last use", () => {
  it("shows who made each key and when it was last used, or never", async () => {
    const key = (id: string, name: string, creator: string | null, lastUsed: string | null, expires: string | null = null) => ({
      id, name, prefix: `sl_${id}`, scopes: ["read"], created_at: "2026-01-01T00:00:00Z", last_used_at: lastUsed,
      revoked_at: null, created_by: creator ? { id: `by-${id}`, name: creator } : null, expires_at: expires,
    });
    stubApi({
      "GET /api/v1/me": meAs("admin"),
      "GET /api/v1/api-keys": page([
        key("k1", "HubSpot sync", "Olivia Owner", new Date(Date.now() - 3 * 86_400_000).toISOString()),
        key("k2", "Sheet export", "Ada Admin", null),
        key("k3", "Old sync", "Ada Admin", null, "2026-01-02T00:00:00Z"),
        key("k4", "Next year", "Ada Admin", null, "2999-06-30T12:00:00Z"),
      ]),
    });
    renderWithProviders(<ApiKeysSettings />);
    const table = await screen.findByRole("table", { name: "API keys" });
    const rows = within(table).getAllByRole("row").slice(1);
    expect(within(rows[0]!).getByText("Olivia Owner")).toBeTruthy();
    expect(within(rows[0]!).getByText("3 days ago")).toBeTruthy();
    expect(within(rows[1]!).getByText("Ada Admin")).toBeTruthy();
    expect(within(rows[1]!).getByText("never")).toBeTruthy();
    // Expiry: none, passed, or the day it stops working.
    expect(within(rows[1]!).getByTestId("api-key-expiry").textContent).toBe("no expiry");
    expect(within(rows[2]!).getByTestId("api-key-expiry").textContent).toBe("Expired");
    expect(within(rows[3]!).getByTestId("api-key-expiry").querySelector("time")!.getAttribute("dateTime")).toBe("2999-06-30T12:00:00Z");
  });
});
