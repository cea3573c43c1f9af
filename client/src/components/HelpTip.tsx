/** A small "?" next to a label: its plain-language explanation on click or tap (keyboard too), never on hover only. */
import { ActionIcon, Popover, Text } from "@mantine/core";
import { IconHelpCircle } from "@tabler/icons-react";
import { useState } from "react";
import { GLOSSARY, type GlossaryTerm } from "../lib/glossary";

export function HelpTip({ term }: { term: GlossaryTerm }) {
  const entry = GLOSSARY[term];
  const [opened, setOpened] = useState(false);
  return (
    <Popover width={300} position="bottom-start" withArrow shadow="md" opened={opened} onChange={setOpened}>
      <Popover.Target>
        <ActionIcon
          variant="subtle"
          color="gray.8"
          size="sm"
          aria-label={`What is ${entry.label.toLowerCase()}?`}
          aria-expanded={opened}
          data-testid={`help-${term}`}
          onClick={() => setOpened((open) => !open)}
          // Escape closes it while the focus is still on the button (the popover only hears it inside itself).
          onKeyDown={(event) => {
            if (event.key === "Escape") setOpened(false);
          }}
        >
          <IconHelpCircle size={16} aria-hidden />
        </ActionIcon>
      </Popover.Target>
      <Popover.Dropdown>
        <Text size="sm" fw={600}>
          {entry.label}
        </Text>
        <Text size="sm">{entry.help}</Text>
      </Popover.Dropdown>
    </Popover>
  );
}
