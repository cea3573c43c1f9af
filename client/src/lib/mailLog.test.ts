import { describe, expect, it } from "vitest";
import { mailBody, mailStatus } from "./mailLog";

describe("mail log", () => {
  it("names each status, and an unknown one by its raw name", () => {
    expect(mailStatus("logged").label).toBe("Logged");
    expect(mailStatus("failed").label).toBe("Failed");
    expect(mailStatus("bounced")).toEqual({ label: "bounced", color: "gray.8", help: "" });
  });

  it("shows a logged message's text and says why a sent one has none", () => {
    expect(mailBody({ status: "logged", body_text: "Hello\nhttps://x/y" })).toEqual({ text: "Hello\nhttps://x/y", kept: true });
    expect(mailBody({ status: "sent", body_text: null }).kept).toBe(false);
    expect(mailBody({ status: "sent", body_text: null }).text).toMatch(/Only a logged message/);
  });
});
