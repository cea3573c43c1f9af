import { screen, waitFor } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { beforeAll, describe, expect, it } from "vitest";
import { nestComments } from "../../queries/comments";
import { renderWithProviders, stubApi } from "../../test/render";
import { ForgotPasswordView } from "../../views/people/ForgotPasswordView";
import { CommentItem, type Viewer } from "../comments/CommentItem";

const comment = (id: string, parent: string | null, extra: object = {}) => ({
  id,
  target_type: "objective" as const,
  target_id: "obj",
  parent_id: parent,
  author_id: "me",
  actor: "user:me",
  body: `body ${id}`,
  body_html: `<p>body ${id}</p>`,
  mentions: [],
  deleted: false,
  deleted_at: null,
  edited_at: null,
  version: 3,
  created_at: "2026-07-01T09:00:00Z",
  updated_at: "2026-07-01T09:00:00Z",
  ...extra,
});

// Mantine's autosizing textarea listens to font loading, which jsdom does not have.
beforeAll(() => {
  if (!("fonts" in document)) {
    Object.defineProperty(document, "fonts", {
      value: { addEventListener: () => {}, removeEventListener: () => {}, ready: Promise.resolve() },
    });
  }
});

const viewer: Viewer = { memberId: "me", admin: false, canWrite: true, memberName: () => "Ada", members: [] };

describe("Forgot password", () => {
  it("sends the email and says the same thing whatever the answer holds", async () => {
    const calls = stubApi({ "POST /api/v1/password-reset": () => [202, null] });
    renderWithProviders(<ForgotPasswordView />);
    const user = userEvent.setup();
    await user.type(screen.getByLabelText(/^Email/), "who@example.test");
    await user.click(screen.getByRole("button", { name: "Send the link" }));
    expect(await screen.findByText(/has a Sightline account, a link to set a new password is on its way/)).toBeTruthy();
    expect(calls.find((call) => call.method === "POST")?.body).toEqual({ email: "who@example.test" });
  });
});

describe("Comments", () => {
  it("nests replies under their comment, in order", () => {
    const threads = nestComments([comment("a", null), comment("b", null), comment("r1", "a"), comment("r2", "a")]);
    expect(threads.map((t) => [t.comment.id, t.replies.map((r) => r.id)])).toEqual([
      ["a", ["r1", "r2"]],
      ["b", []],
    ]);
  });

  it("edits one's own comment against the version read (If-Match)", async () => {
    const calls = stubApi({ "PATCH /api/v1/comments/a": comment("a", null, { body: "new", version: 4 }) });
    renderWithProviders(<CommentItem comment={comment("a", null)} viewer={viewer} />);
    const user = userEvent.setup();
    await user.click(screen.getByRole("button", { name: /^Edit/ }));
    const box = screen.getByLabelText(/^Edit your comment/);
    await user.clear(box);
    await user.type(box, "new");
    await user.click(screen.getByRole("button", { name: "Save" }));
    await waitFor(() => expect(calls.some((call) => call.method === "PATCH")).toBe(true));
    const patch = calls.find((call) => call.method === "PATCH");
    expect(patch?.headers.get("If-Match")).toBe('"3"');
    expect(patch?.body).toEqual({ body: "new" });
  });

  it("shows a tombstone without actions, and no Edit on another member's comment", () => {
    renderWithProviders(<CommentItem comment={comment("a", null, { deleted: true, body: "", body_html: "" })} viewer={viewer} />);
    expect(screen.getByText("This comment was deleted.")).toBeTruthy();
    expect(screen.queryByRole("button")).toBeNull();
  });
});
