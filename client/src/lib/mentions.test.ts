import { describe, expect, it } from "vitest";
import { insertMention, matchMembers, mentionAt, mentionMarkdown } from "./mentions";

const jane = { id: "7d9f1c2e-8a51-4f0e-9a57-0c3b1a2d4e5f", name: "Jane Doe" };
const members = [
  { id: "1", name: "Olivia Owner" },
  jane,
  { id: "3", name: "Benjamin Ojanen" },
];

describe("mentionAt", () => {
  it("finds the @word before the caret", () => {
    expect(mentionAt("Thanks @Ja", 10)).toEqual({ start: 7, query: "Ja" });
    expect(mentionAt("@", 1)).toEqual({ start: 0, query: "" });
    expect(mentionAt("hi @Jane D", 10)).toEqual({ start: 3, query: "Jane D" });
  });

  it("ignores an email address, a finished mention and text after the caret", () => {
    expect(mentionAt("mail me@example", 15)).toBeNull();
    expect(mentionAt(`${mentionMarkdown(jane)} ok`, 50)).toBeNull();
    expect(mentionAt("@Ja and more", 12)).toBeNull();
  });
});

describe("matchMembers", () => {
  it("filters by name, word starts first", () => {
    expect(matchMembers(members, "jan").map((m) => m.name)).toEqual(["Jane Doe", "Benjamin Ojanen"]);
    expect(matchMembers(members, "").length).toBe(3);
    expect(matchMembers(members, "zz")).toEqual([]);
  });
});

describe("insertMention", () => {
  it("replaces the typed word with the mention's Markdown", () => {
    const text = "Thanks @Ja, good";
    const result = insertMention(text, { start: 7, query: "Ja" }, 10, jane);
    expect(result.text).toBe(`Thanks @[Jane Doe](user:${jane.id}) , good`);
    expect(result.caret).toBe(7 + mentionMarkdown(jane).length + 1);
  });

  it("drops brackets from a name", () => {
    expect(mentionMarkdown({ id: "x", name: "Al [ops]" })).toBe("@[Al ops](user:x)");
  });
});
