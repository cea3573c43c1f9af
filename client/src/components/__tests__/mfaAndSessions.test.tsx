import { screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { Navigate, Route, Routes, useSearchParams } from "react-router";
import { describe, expect, it } from "vitest";
import { renderWithProviders, stubApi } from "../../test/render";
import { MfaSignInView } from "../../views/MfaSignInView";
import { ApiKeysSettings } from "../../views/settings/ApiKeysSettings";
import { SignInView } from "../../views/SignInView";
import { VerifyEmailView } from "../../views/VerifyEmailView";
import { ReauthDialog } from "../ReauthDialog";
import { SessionsSection } from "../SessionsSection";
import { TwoStepSection } from "../TwoStepSection";

const me = {
  organisation: { id: "org", name: "Acme", settings: { currency: "EUR" }, created_at: "2026-01-01T00:00:00Z" },
  member: { id: "me", email: "ada@example.test", name: "Ada Admin", role: "admin", active: true, created_at: "2026-01-01T00:00:00Z" },
  auth: "session",
  scopes: ["read", "write", "admin"],
  email_verification_required: false,
};
const page = (items: unknown[]) => ({ items, next_cursor: null });
const problem = (status: number, slug: string, detail: string) => ({ type: `/problems/${slug}`, title: "Refused", status, detail });
const CODES = Array.from({ length: 10 }, (_, i) => `abcd-efgh-${String(i).padStart(2, "0")}`);

describe("re-authentication dialog", () => {
  it("asks for the password when creating a key needs a recent sign-in, then creates the key", async () => {
    let attempts = 0;
    const calls = stubApi({
      "GET /api/v1/me": me,
      "GET /api/v1/api-keys": page([]),
      "GET /api/v1/me/mfa": { totp_enabled: false, recovery_codes_left: 0, required: false },
      "POST /api/v1/api-keys": () =>
        ++attempts === 1
          ? [403, problem(403, "recent-sign-in-required", "confirm your password to do this")]
          : [201, { id: "k1", name: "CRM", prefix: "sl_ab", scopes: ["read"], secret: "sl_secret_value", created_at: "2026-01-01T00:00:00Z", last_used_at: null, revoked_at: null, expires_at: null, created_by: null }],
      "POST /api/v1/auth/reauthenticate": (body: unknown) =>
        (body as { password?: string }).password === "right password"
          ? [204, null]
          : [401, problem(401, "unauthorized", "the password is wrong")],
    });
    renderWithProviders(
      <>
        <ApiKeysSettings />
        <ReauthDialog />
      </>,
    );
    const user = userEvent.setup();
    await user.click(await screen.findByRole("button", { name: "Create API key" }));
    await user.type(await screen.findByLabelText(/^Name/), "CRM");
    await user.click(screen.getByRole("button", { name: "Create key" }));

    const dialog = await screen.findByRole("dialog", { name: "Confirm it's you" });
    await user.type(within(dialog).getByLabelText(/^Your password/), "wrong password");
    await user.click(within(dialog).getByRole("button", { name: "Confirm" }));
    expect(await within(dialog).findByText("the password is wrong")).toBeTruthy();
    await user.clear(within(dialog).getByLabelText(/^Your password/));
    await user.type(within(dialog).getByLabelText(/^Your password/), "right password");
    await user.click(within(dialog).getByRole("button", { name: "Confirm" }));

    expect(await screen.findByTestId("api-key-secret")).toHaveProperty("textContent", "sl_secret_value");
    const posts = calls.filter((call) => call.method === "POST").map((call) => call.path);
    expect(posts).toEqual([
      "/api/v1/api-keys",
      "/api/v1/auth/reauthenticate",
      "/api/v1/auth/reauthenticate",
      "/api/v1/api-keys",
    ]);
    const keyPosts = calls.filter((call) => call.path === "/api/v1/api-keys" && call.method === "POST");
    expect(keyPosts[1]!.body).toEqual(keyPosts[0]!.body);
    // The password went to the re-authentication only.
    expect(JSON.stringify(keyPosts.map((call) => call.body))).not.toContain("right password");
  });

  it("cancel leaves the refusal on the screen", async () => {
    stubApi({
      "GET /api/v1/me": me,
      "GET /api/v1/api-keys": page([]),
      "GET /api/v1/me/mfa": { totp_enabled: false, recovery_codes_left: 0, required: false },
      "POST /api/v1/api-keys": () => [403, problem(403, "recent-sign-in-required", "sign in again to create keys")],
    });
    renderWithProviders(
      <>
        <ApiKeysSettings />
        <ReauthDialog />
      </>,
    );
    const user = userEvent.setup();
    await user.click(await screen.findByRole("button", { name: "Create API key" }));
    await user.type(await screen.findByLabelText(/^Name/), "CRM");
    await user.click(screen.getByRole("button", { name: "Create key" }));
    const dialog = await screen.findByRole("dialog", { name: "Confirm it's you" });
    await user.click(within(dialog).getByRole("button", { name: "Cancel" }));
    expect(await screen.findByText("sign in again to create keys")).toBeTruthy();
  });
});

describe("two-step sign-in on the account page", () => {
  it("shows the QR code as an image, confirms a code and shows the recovery codes once", async () => {
    let enabled = false;
    const calls = stubApi({
      "GET /api/v1/me/mfa": () => [200, { totp_enabled: enabled, recovery_codes_left: enabled ? 10 : 0, required: false }],
      "POST /api/v1/me/mfa/totp": () => [
        200,
        { secret: "JBSWY3DPEHPK3PXPJBSWY3DP", otpauth_uri: "otpauth://totp/x", qr_svg: '<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>' },
      ],
      "POST /api/v1/me/mfa/totp/confirm": (body: unknown) => {
        if ((body as { code: string }).code !== "123456") return [422, { ...problem(422, "validation", "invalid"), errors: [{ loc: ["body", "code"], message: "That code is not right", type: "value_error" }] }];
        enabled = true;
        return [200, { recovery_codes: CODES }];
      },
    });
    renderWithProviders(<TwoStepSection email="ada@example.test" />);
    const user = userEvent.setup();
    await user.click(await screen.findByRole("button", { name: "Set up an authenticator app" }));
    const qr = await screen.findByRole("img", { name: /QR code/ });
    expect(qr.getAttribute("src")).toMatch(/^data:image\/svg\+xml;charset=utf-8,%3Csvg/);
    expect(document.querySelector("svg script")).toBeNull();
    expect(screen.getByTestId("totp-secret").textContent).toBe("JBSW Y3DP EHPK 3PXP JBSW Y3DP");

    await user.type(screen.getByLabelText(/6-digit code/), "000000");
    await user.click(screen.getByRole("button", { name: "Turn on two-step sign-in" }));
    expect(await screen.findByText("That code is not right")).toBeTruthy();
    await user.clear(screen.getByLabelText(/6-digit code/));
    await user.type(screen.getByLabelText(/6-digit code/), "123 456");
    await user.click(screen.getByRole("button", { name: "Turn on two-step sign-in" }));
    const list = await screen.findByRole("list", { name: "Recovery codes" });
    expect(within(list).getAllByRole("listitem").map((item) => item.textContent)).toEqual(CODES);
    expect(calls.filter((call) => call.path.endsWith("/confirm")).at(-1)!.body).toEqual({ code: "123456" });

    await user.click(screen.getByRole("button", { name: "I have saved them" }));
    expect(screen.queryByRole("list", { name: "Recovery codes" })).toBeNull();
    expect(await screen.findByText(/10 recovery codes left/)).toBeTruthy();
    expect(document.body.textContent).not.toContain(CODES[0]);
  });

  it("says when the organisation requires it, and then offers no way to turn it off", async () => {
    stubApi({ "GET /api/v1/me/mfa": { totp_enabled: true, recovery_codes_left: 2, required: true } });
    renderWithProviders(<TwoStepSection email="ada@example.test" />);
    expect(await screen.findByText(/2 recovery codes left/)).toBeTruthy();
    expect(screen.getByText(/cannot be turned off/)).toBeTruthy();
    expect(screen.queryByRole("button", { name: /Turn off/ })).toBeNull();
  });
});

describe("signing in with a second step", () => {
  it("goes to the second step on 202 and signs in with a recovery code", async () => {
    const calls = stubApi({
      "POST /api/v1/auth/login": () => [202, { mfa_required: true, methods: ["totp", "recovery_code"] }],
      "POST /api/v1/auth/login/mfa": (body: unknown) =>
        (body as { recovery_code?: string }).recovery_code === "abcd-efgh-01" ? [200, me] : [401, problem(401, "unauthorized", "that code is not valid")],
    });
    renderWithProviders(
      <Routes>
        <Route path="/" element={<SignInView />} />
        <Route path="/sign-in/mfa" element={<MfaSignInView />} />
        <Route path="/scoreboard" element={<p>Scoreboard</p>} />
      </Routes>,
    );
    const user = userEvent.setup();
    await user.type(screen.getByLabelText(/^Email/), "ada@example.test");
    await user.type(screen.getByLabelText(/^Password/), "correct horse battery staple");
    await user.click(screen.getByRole("button", { name: "Sign in" }));
    expect(await screen.findByRole("heading", { name: "Two-step sign-in" })).toBeTruthy();

    await user.type(screen.getByLabelText(/^Code from your authenticator app/), "999999");
    await user.click(screen.getByRole("button", { name: "Sign in" }));
    expect(await screen.findByText("that code is not valid")).toBeTruthy();

    await user.click(screen.getByRole("button", { name: "Use a recovery code instead" }));
    await user.type(screen.getByLabelText(/^Recovery code/), " abcd-efgh-01 ");
    await user.click(screen.getByRole("button", { name: "Sign in" }));
    expect(await screen.findByText("Scoreboard")).toBeTruthy();
    const bodies = calls.filter((call) => call.path === "/api/v1/auth/login/mfa").map((call) => call.body);
    expect(bodies).toEqual([{ code: "999999" }, { recovery_code: "abcd-efgh-01" }]);
    // The password never goes to the second step.
    expect(JSON.stringify(bodies)).not.toContain("staple");
  });
});

describe("sessions", () => {
  it("lists sessions, marks this browser, ends another", async () => {
    const sessions = [
      { id: "s1", current: true, created_at: "2026-01-01T00:00:00Z", last_seen_at: null, user_agent: "Mozilla/5.0 (X11; Linux x86_64) Chrome/130.0 Safari/537.36", address: "10.0.0.1" },
      { id: "s2", current: false, created_at: "2026-01-02T00:00:00Z", last_seen_at: null, user_agent: "Mozilla/5.0 (Windows NT 10.0) Firefox/133.0", address: "10.0.0.2" },
    ];
    const calls = stubApi({ "GET /api/v1/me/sessions": sessions, "DELETE /api/v1/me/sessions/s2": () => [204, null], "POST /api/v1/me/sessions/end-others": () => [204, null] });
    renderWithProviders(<SessionsSection />);
    const table = await screen.findByRole("table", { name: "Your sessions" });
    expect(within(table).getByText("Chrome on Linux")).toBeTruthy();
    expect(within(table).getByText("this browser")).toBeTruthy();
    const user = userEvent.setup();
    await user.click(within(table).getByRole("button", { name: /^Sign out Firefox on Windows/ }));
    await waitFor(() => expect(calls.some((call) => call.method === "DELETE" && call.path === "/api/v1/me/sessions/s2")).toBe(true));
    await user.click(screen.getByRole("button", { name: "Sign out everywhere else" }));
    await waitFor(() => expect(calls.some((call) => call.path === "/api/v1/me/sessions/end-others")).toBe(true));
  });
});

describe("email verification link", () => {
  it("sends the token once and continues into the app", async () => {
    const calls = stubApi({ "POST /api/v1/auth/verify-email": () => [204, null], "GET /api/v1/me": me });
    window.history.pushState({}, "", "/");
    renderWithProviders(
      <Routes>
        <Route path="/" element={<VerifyEmailWithToken />} />
        <Route path="/scoreboard" element={<p>Scoreboard</p>} />
      </Routes>,
    );
    expect(await screen.findByText("Scoreboard")).toBeTruthy();
    const posts = calls.filter((call) => call.path === "/api/v1/auth/verify-email");
    expect(posts).toHaveLength(1);
    expect(posts[0]!.body).toEqual({ token: "tok-123" });
  });
});

/** The view reads ?token= from the router's location; MemoryRouter starts at "/", so render it through a redirect. */
function VerifyEmailWithToken() {
  return (
    <Routes>
      <Route index element={<NavigateWithToken />} />
    </Routes>
  );
}
function NavigateWithToken() {
  const [params] = useSearchParams();
  return params.get("token") ? <VerifyEmailView /> : <Navigate to="/?token=tok-123" replace />;
}
