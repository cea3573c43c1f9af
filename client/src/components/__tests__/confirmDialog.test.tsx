import { screen } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it, vi } from "vitest";
import { renderWithProviders } from "../../test/render";
import { ConfirmDialog } from "../ConfirmDialog";

describe("ConfirmDialog", () => {
  it("says what happens, keeps it on 'Keep it' and acts only on the red button", async () => {
    const onClose = vi.fn();
    const onConfirm = vi.fn();
    renderWithProviders(
      <ConfirmDialog opened onClose={onClose} title="Archive this KPI?" confirmLabel="Archive" pending={false} error={null} onConfirm={onConfirm}>
        Its values stay.
      </ConfirmDialog>,
    );
    const dialog = await screen.findByRole("dialog", { name: "Archive this KPI?" });
    expect(dialog.textContent).toContain("Its values stay.");
    await userEvent.click(screen.getByRole("button", { name: "Keep it" }));
    expect(onClose).toHaveBeenCalledOnce();
    expect(onConfirm).not.toHaveBeenCalled();
    await userEvent.click(screen.getByRole("button", { name: "Archive" }));
    expect(onConfirm).toHaveBeenCalledOnce();
  });
});
