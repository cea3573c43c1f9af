/**
 * @mentions in a comment's Markdown: the API reads `@[Name](user:<member id>)` (docs/comments.md). The composer's
 * autocomplete finds the `@word` being typed before the caret, lists members whose name matches, and replaces the
 * word with the mention.
 */

export interface MentionQuery {
  /** Where the `@` is in the text. */
  start: number;
  /** What follows the `@` up to the caret. */
  query: string;
}

export interface Mentionable {
  id: string;
  name: string;
}

// `@` at the start or after a space or an opening bracket, then up to two words of a name, ending at the caret.
const TYPING = /(^|[\s(])@([^\s@[\]()]{0,30}(?: [^\s@[\]()]{0,30})?)$/;

/** The `@word` the caret is at the end of, or null when the person is not typing a mention. */
export function mentionAt(text: string, caret: number): MentionQuery | null {
  const found = TYPING.exec(text.slice(0, caret));
  if (!found) return null;
  const [, before = "", query = ""] = found;
  return { start: found.index + before.length, query };
}

/** Members whose name contains the query (any word's start first), at most `limit`. */
export function matchMembers<T extends Mentionable>(members: T[], query: string, limit = 6): T[] {
  const wanted = query.trim().toLocaleLowerCase();
  const scored = members
    .map((member) => {
      const name = member.name.toLocaleLowerCase();
      const at = name.indexOf(wanted);
      if (at < 0) return null;
      const wordStart = at === 0 || name[at - 1] === " ";
      return { member, rank: wordStart ? 0 : 1 };
    })
    .filter((item): item is { member: T; rank: number } => item !== null);
  scored.sort((a, b) => a.rank - b.rank || a.member.name.localeCompare(b.member.name));
  return scored.slice(0, limit).map((item) => item.member);
}

/** The Markdown of a mention; brackets in a name would end the link text early, so they are left out. */
export function mentionMarkdown(member: Mentionable): string {
  return `@[${member.name.replace(/[[\]]/g, "")}](user:${member.id})`;
}

/** The text with the typed `@word` replaced by the mention (and a space), and the caret after it. */
export function insertMention(
  text: string,
  at: MentionQuery,
  caret: number,
  member: Mentionable,
): { text: string; caret: number } {
  const inserted = `${mentionMarkdown(member)} `;
  const after = text.slice(caret).replace(/^ /, "");
  return { text: text.slice(0, at.start) + inserted + after, caret: at.start + inserted.length };
}
