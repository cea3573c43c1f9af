/**
 * The comment box: Markdown with @mention autocomplete. Typing `@` and part of a name lists the organisation's
 * members (arrow keys and Enter or Tab pick, Escape closes, a click picks too); picking writes
 * `@[Name](user:<id>)`, the form the API resolves (lib/mentions.ts).
 */
import { Button, Group, Paper, Stack, Text, Textarea, UnstyledButton } from "@mantine/core";
import { type FormEvent, type KeyboardEvent, useId, useRef, useState } from "react";
import { FormProblem } from "../FormProblem";
import { insertMention, matchMembers, type Mentionable, mentionAt, type MentionQuery } from "../../lib/mentions";
import { fieldErrors } from "../../lib/problem";

interface Props {
  label: string;
  submitLabel: string;
  members: Mentionable[];
  initial?: string;
  pending: boolean;
  error: unknown;
  onSubmit: (body: string, clear: () => void) => void;
  onCancel?: () => void;
  autoFocus?: boolean;
}

export function CommentComposer({ label, submitLabel, members, initial = "", pending, error, onSubmit, onCancel, autoFocus }: Props) {
  const [body, setBody] = useState(initial);
  const [typing, setTyping] = useState<MentionQuery | null>(null);
  const [active, setActive] = useState(0);
  const box = useRef<HTMLTextAreaElement>(null);
  const listId = useId();
  const suggestions = typing ? matchMembers(members, typing.query) : [];
  const open = suggestions.length > 0;

  const follow = (text: string, caret: number) => {
    setBody(text);
    setTyping(mentionAt(text, caret));
    setActive(0);
  };
  const pick = (member: Mentionable) => {
    const element = box.current;
    if (!typing || !element) return;
    const next = insertMention(body, typing, element.selectionStart, member);
    setBody(next.text);
    setTyping(null);
    requestAnimationFrame(() => {
      element.focus();
      element.setSelectionRange(next.caret, next.caret);
    });
  };
  const onKeyDown = (event: KeyboardEvent<HTMLTextAreaElement>) => {
    if (!open) return;
    if (event.key === "ArrowDown" || event.key === "ArrowUp") {
      event.preventDefault();
      const step = event.key === "ArrowDown" ? 1 : -1;
      setActive((current) => (current + step + suggestions.length) % suggestions.length);
    } else if (event.key === "Enter" || event.key === "Tab") {
      event.preventDefault();
      const chosen = suggestions[Math.min(active, suggestions.length - 1)];
      if (chosen) pick(chosen);
    } else if (event.key === "Escape") {
      event.preventDefault();
      setTyping(null);
    }
  };
  const submit = (event: FormEvent) => {
    event.preventDefault();
    onSubmit(body, () => setBody(""));
  };

  return (
    <form onSubmit={submit} noValidate>
      <Stack gap="xs">
        <FormProblem error={fieldErrors(error).body ? null : error} />
        <Textarea
          ref={box}
          label={label}
          description="Markdown; type @ to mention a member"
          autosize
          minRows={2}
          maxRows={12}
          value={body}
          error={fieldErrors(error).body}
          onChange={(event) => follow(event.currentTarget.value, event.currentTarget.selectionStart)}
          onKeyDown={onKeyDown}
          onBlur={() => setTyping(null)}
          aria-controls={open ? listId : undefined}
          aria-expanded={open}
          aria-autocomplete="list"
          role="combobox"
          aria-activedescendant={open ? `${listId}-${active}` : undefined}
          data-autofocus={autoFocus || undefined}
          autoFocus={autoFocus}
        />
        {open && (
          <Paper withBorder shadow="sm" p={4} role="listbox" id={listId} aria-label="Members to mention">
            {suggestions.map((member, index) => (
              <UnstyledButton
                key={member.id}
                id={`${listId}-${index}`}
                role="option"
                aria-selected={index === active}
                tabIndex={-1}
                display="block"
                w="100%"
                px="xs"
                py={4}
                bg={index === active ? "var(--mantine-color-indigo-light)" : undefined}
                onMouseDown={(event) => event.preventDefault()} // keep the focus (and the caret) in the box
                onClick={() => pick(member)}
              >
                <Text size="sm">{member.name}</Text>
              </UnstyledButton>
            ))}
          </Paper>
        )}
        <Group justify="flex-end" gap="xs">
          {onCancel && (
            <Button variant="default" size="xs" onClick={onCancel}>
              Cancel
            </Button>
          )}
          <Button type="submit" size="xs" loading={pending} disabled={!body.trim()}>
            {submitLabel}
          </Button>
        </Group>
      </Stack>
    </form>
  );
}
