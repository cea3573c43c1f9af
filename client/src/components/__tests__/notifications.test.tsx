import { render, screen, waitFor } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it } from "vitest";
import { MantineProvider } from "@mantine/core";
import { QueryClient, QueryClientProvider } from "@tanstack/react-query";
import type { ReactElement } from "react";
import { MemoryRouter } from "react-router";
import { stubApi } from "../../test/render";
import { theme } from "../../theme";
import { setFetchHandler } from "../../test/setup";
import { NotificationSettings } from "../../views/settings/NotificationSettings";
import { NotificationBell } from "../NotificationBell";

/** The app's providers, with Mantine in its test mode: no transitions (jsdom never ends one) and no portals. */
function renderWithProviders(ui: ReactElement) {
  const queryClient = new QueryClient({ defaultOptions: { queries: { retry: false }, mutations: { retry: false } } });
  return render(
    <MantineProvider theme={theme} env="test">
      <QueryClientProvider client={queryClient}>
        <MemoryRouter>{ui}</MemoryRouter>
      </QueryClientProvider>
    </MantineProvider>,
  );
}

const notification = (id: string, read: boolean) => ({
  id,
  kind: "mentioned",
  object_type: "comment",
  object_id: `c-${id}`,
  title: `Objective ${id}`,
  summary: `Ann mentioned you (${id})`,
  path: `/objectives/o-${id}`,
  event_id: `e-${id}`,
  actor: "user:ann",
  created_at: "2026-12-06T09:00:00Z",
  read_at: read ? "2026-12-06T10:00:00Z" : null,
});

describe("The notification bell", () => {
  it("says the unread count, lists the inbox page by page and marks one read once", async () => {
    const api = stubInbox();
    renderWithProviders(<NotificationBell enabled />);
    const user = userEvent.setup();
    await user.click(await screen.findByRole("button", { name: "Notifications, 2 unread" }));
    const inbox = await screen.findByRole("dialog", { name: "Notifications" });
    expect(await screen.findByText("Objective a")).toBeTruthy();
    expect(inbox.querySelectorAll("[data-unread=true]")).toHaveLength(2);
    await user.click(screen.getByRole("button", { name: "Load more" }));
    expect(await screen.findByText("Objective c")).toBeTruthy();
    expect(api.cursors).toEqual([null, "next"]);
    expect(screen.queryByRole("button", { name: "Load more" })).toBeNull();
    await user.click(screen.getByText("Objective a"));
    await waitFor(() => expect(api.reads).toEqual(["/api/v1/me/notifications/a/read"]));
    expect(api.readKeys[0]).toBeTruthy();
    await waitFor(() => expect(screen.queryByRole("dialog", { name: "Notifications" })).toBeNull());
  });

  it("says none unread at zero, with no badge", async () => {
    stubApi({ "GET /api/v1/me/notifications/unread-count": { unread_count: 0 } });
    renderWithProviders(<NotificationBell enabled />);
    expect(await screen.findByRole("button", { name: "Notifications, none unread" })).toBeTruthy();
    expect(screen.queryByTestId("notification-badge")).toBeNull();
  });
});

/** The inbox in two pages (the second behind cursor "next"); the cursors asked for and the reads are recorded. */
function stubInbox() {
  const cursors: (string | null)[] = [];
  const reads: string[] = [];
  const readKeys: (string | null)[] = [];
  const json = (body: unknown) =>
    new Response(JSON.stringify(body), { status: 200, headers: { "Content-Type": "application/json" } });
  setFetchHandler((request: Request) => {
    const url = new URL(request.url);
    if (url.pathname === "/api/v1/me/notifications/unread-count") return Promise.resolve(json({ unread_count: 2 }));
    if (request.method === "GET" && url.pathname === "/api/v1/me/notifications") {
      const cursor = url.searchParams.get("cursor");
      cursors.push(cursor);
      return Promise.resolve(
        json(
          cursor === null
            ? { items: [notification("a", false), notification("b", false)], next_cursor: "next", unread_count: 2 }
            : { items: [notification("c", true)], next_cursor: null, unread_count: 2 },
        ),
      );
    }
    reads.push(url.pathname);
    readKeys.push(request.headers.get("Idempotency-Key"));
    return Promise.resolve(json(notification("a", true)));
  });
  return { cursors, reads, readKeys };
}

describe("Notification settings", () => {
  it("lists every kind the API returns, unknown ones by name, and saves only the changed kinds", async () => {
    const calls = stubApi({
      "GET /api/v1/me/notification-preferences": { mentioned: "email", comment_on_owned: "in_app", budget_alert: "off" },
      "PUT /api/v1/me/notification-preferences": (body) => [
        200,
        { mentioned: "email", comment_on_owned: "in_app", budget_alert: "off", ...(body as object) },
      ],
    });
    renderWithProviders(<NotificationSettings />);
    const user = userEvent.setup();
    expect(await screen.findByText("Someone mentions you in a comment")).toBeTruthy();
    expect(screen.getByText("budget_alert")).toBeTruthy();
    const save = screen.getByRole("button", { name: "Save" });
    expect((save as HTMLButtonElement).disabled).toBe(true);
    await user.click(screen.getByRole("combobox", { name: "Channel for: A comment on an objective or key result you own" }));
    await user.click(await screen.findByRole("option", { name: "Off" }));
    await user.click(screen.getByRole("button", { name: "Save" }));
    await waitFor(() => expect(calls.some((call) => call.method === "PUT")).toBe(true));
    expect(calls.find((call) => call.method === "PUT")?.body).toEqual({ comment_on_owned: "off" });
  });
});
