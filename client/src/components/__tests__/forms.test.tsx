import { screen, waitFor } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it, vi } from "vitest";
import { renderWithProviders, stubApi } from "../../test/render";
import { MyCheckInsView } from "../../views/MyCheckInsView";
import { KeyResultForm } from "../forms/KeyResultForm";
import { ScoreText } from "../Indicators";
import { emptyKeyResultDraft } from "../../lib/validation";

const page = (items: unknown[]) => ({ items, next_cursor: null });
const ME = {
  organisation: { id: "org", name: "Acme", settings: { currency: "EUR" }, created_at: "2026-01-01T00:00:00Z" },
  member: { id: "m1", email: "a@b.c", name: "Ann", role: "member", active: true, created_at: "2026-01-01T00:00:00Z" },
  auth: "session",
  scopes: ["read", "write"],
};

function keyResult(id: string, title: string, change: Record<string, unknown> = {}) {
  return {
    id, objective_id: "o1", title, owner_id: "m1", metric: "number", unit: "leads", direction: "increase",
    start_value: 0, target_value: 100, stretch_value: null, previous_value: null, weight: 1, cadence: "weekly",
    milestone_plan: [], data_source: "manual", external_key: null, archived: false, current_value: 10, progress: 0.1,
    score: 0.1, status: "on_track", latest_confidence: 5, last_check_in_at: "2026-03-01T00:00:00Z", expected_value: 10,
    expected_progress: 0.1, stale: false, version: 1, created_at: "2026-01-01T00:00:00Z", updated_at: "2026-01-01T00:00:00Z",
    ...change,
  };
}

describe("ScoreText", () => {
  it("shows the grade with its accessible label", () => {
    renderWithProviders(<ScoreText score={0.85} />);
    expect(screen.getByLabelText("Score 0.85")).toHaveProperty("textContent", "0.85");
  });
});

describe("KeyResultForm", () => {
  it("shows the rule that is broken and does not submit", async () => {
    stubApi({ "GET /api/v1/members": page([]), "GET /api/v1/teams": page([]) });
    const onSubmit = vi.fn();
    renderWithProviders(<KeyResultForm initial={emptyKeyResultDraft()} submitting={false} submitLabel="Create key result" onSubmit={onSubmit} />);
    const user = userEvent.setup();
    await user.click(screen.getByLabelText(/^Key result/));
    await user.paste("Leads");
    await user.click(screen.getByLabelText(/^Target/));
    await user.paste("10000");
    await user.click(screen.getByLabelText(/^Stretch/));
    await user.paste("9000");
    await user.click(screen.getByRole("button", { name: "Create key result" }));
    expect(await screen.findByText(/The stretch lies beyond the target/)).toBeTruthy();
    expect(onSubmit).not.toHaveBeenCalled();

    await user.clear(screen.getByLabelText(/^Stretch/));
    await user.click(screen.getByLabelText(/^Stretch/));
    await user.paste("12,000");
    await user.click(screen.getByRole("button", { name: "Create key result" }));
    expect(onSubmit).toHaveBeenCalledWith(expect.objectContaining({ title: "Leads", target_value: "10000", stretch_value: "12,000" }));
  });

  it("asks a milestone for its steps instead of start, target and stretch", () => {
    stubApi({ "GET /api/v1/members": page([]), "GET /api/v1/teams": page([]) });
    renderWithProviders(
      <KeyResultForm initial={{ ...emptyKeyResultDraft(), metric: "milestone" }} submitting={false} submitLabel="Save" onSubmit={() => {}} />,
    );
    expect(screen.queryByLabelText(/^Target/)).toBeNull();
    expect(screen.queryByLabelText(/^Stretch/)).toBeNull();
    expect(screen.getByLabelText(/^Steps/)).toBeTruthy();
    expect(screen.getByText(/1: done or not/)).toBeTruthy();
  });
});

describe("My check-ins", () => {
  it("sends every filled row in ONE batch and puts per-item errors on their rows", async () => {
    // The server lists only my key results, due ones first (GET /me/key-results).
    const mine = (kr: ReturnType<typeof keyResult>, due: boolean) => ({
      key_result: kr, objective_title: "Grow pipeline", cycle_id: "c1", cycle_name: "FY2026", due, due_since: null,
    });
    const myKeyResults = { items: [mine(keyResult("k1", "Alpha leads"), true), mine(keyResult("k2", "Beta leads"), true), mine(keyResult("k3", "Gamma leads"), false)] };
    let attempt = 0;
    const calls = stubApi({
      "GET /api/v1/me": ME,
      "GET /api/v1/cycles": page([{ id: "c1", name: "FY2026", start_date: "2026-01-01", end_date: "2026-12-31", state: "active", parent_id: null, closed_at: null, version: 1, created_at: "", updated_at: "" }]),
      "GET /api/v1/me/key-results": myKeyResults,
      "POST /api/v1/check-ins:batch": (body: unknown): [number, unknown] => {
        attempt += 1;
        if (attempt === 1) {
          return [422, { type: "/problems/validation", title: "Invalid", status: 422, detail: "1 item is invalid", errors: [{ loc: ["body", "items", 1, "value"], message: "beyond the allowed range", type: "value_error" }] }];
        }
        return [201, { items: (body as { items: unknown[] }).items.map((_, i) => ({ id: `ci${i}` })) }];
      },
    });
    renderWithProviders(<MyCheckInsView />);
    const user = userEvent.setup();
    const values = await screen.findAllByLabelText(/^Value/);
    expect(values).toHaveLength(3);
    expect(screen.getAllByTestId("due-mark").map((mark) => mark.textContent)).toEqual(["Due", "Due", "Not due"]);
    expect((values[0] as HTMLInputElement).placeholder).toBe(""); // no placeholder that looks like a value
    await user.click(values[0]!);
    await user.paste("20");
    await user.click(values[2]!);
    await user.paste("1e99");
    await user.click(screen.getAllByLabelText(/^Note/)[0]!);
    await user.paste("webinar");
    await user.click(screen.getByRole("button", { name: "Save 2 check-ins" }));

    expect(await screen.findByText("beyond the allowed range")).toBeTruthy();
    const batches = calls.filter((call) => call.method === "POST");
    expect(batches).toHaveLength(1);
    expect(batches[0]!.path).toBe("/api/v1/check-ins:batch");
    expect(batches[0]!.headers.get("Idempotency-Key")).toBeTruthy();
    expect(batches[0]!.body).toEqual({
      items: [
        { key_result_id: "k1", value: 20, confidence: null, note: "webinar" },
        { key_result_id: "k3", value: 1e99, confidence: null, note: "" },
      ],
    });

    await user.clear(screen.getAllByLabelText(/^Value/)[2]!);
    await user.click(screen.getAllByLabelText(/^Value/)[2]!);
    await user.paste("30");
    await user.click(screen.getByRole("button", { name: "Save 2 check-ins" }));
    await waitFor(() => expect(calls.filter((call) => call.method === "POST")).toHaveLength(2));
    await waitFor(() => expect(screen.getByRole("button", { name: /^Save/ })).toHaveProperty("disabled", true));

    // "No change": one click fills the same value and the last confidence.
    await user.click(screen.getByRole("button", { name: "No change for Beta leads" }));
    expect((screen.getAllByLabelText(/^Value/)[1] as HTMLInputElement).value).toBe("10");
    expect((screen.getAllByLabelText(/^Confidence/)[1] as HTMLInputElement).value).toBe("5");
    expect(screen.getByRole("button", { name: "Save 1 check-in" })).toBeTruthy();
  });
});
