/** The mail delivery log (Settings → Mail log, admins): each message's state in words, and what its panel shows. */

export type MailStatus = "pending" | "sent" | "logged" | "failed";

export const MAIL_STATUSES: readonly { value: MailStatus; label: string; color: string; help: string }[] = [
  { value: "pending", label: "Pending", color: "yellow.9", help: "Not delivered yet: due, or waiting for a retry" },
  { value: "sent", label: "Sent", color: "teal.9", help: "Accepted by the mail server" },
  { value: "logged", label: "Logged", color: "indigo.8", help: "No mail server is configured: kept here instead of sent" },
  { value: "failed", label: "Failed", color: "red.9", help: "Every attempt failed" },
];

export function mailStatus(status: string): { label: string; color: string; help: string } {
  return MAIL_STATUSES.find((item) => item.value === status) ?? { label: status, color: "gray.8", help: "" };
}

/** A message's text when the log keeps it (logged messages only), else why it is not shown. */
export function mailBody(message: { status: string; body_text: string | null }): { text: string; kept: boolean } {
  if (message.body_text !== null && message.body_text !== "") return { text: message.body_text, kept: true };
  return {
    text:
      message.status === "logged"
        ? "This message has no text."
        : "Only a logged message keeps its text here (one that was or will be sent is the receiver's to read).",
    kept: false,
  };
}
