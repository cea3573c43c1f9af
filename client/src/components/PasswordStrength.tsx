/** The strength meter under every new-password field: a bar, a word, and zxcvbn's advice (loaded lazily). */
import { Progress, Stack, Text } from "@mantine/core";
import { useEffect, useState } from "react";
import { estimateStrength, STRENGTH_LABELS, type Strength } from "../lib/passwordStrength";

const COLORS = ["red.9", "red.9", "orange.9", "teal.9", "teal.9"] as const;

export function PasswordStrength({ password, userInputs = [] }: { password: string; userInputs?: string[] }) {
  const [strength, setStrength] = useState<Strength | null>(null);
  const inputs = userInputs.join("\n");
  useEffect(() => {
    // No password: nothing is shown (below), so there is nothing to estimate.
    if (!password) return;
    let current = true;
    estimateStrength(password, inputs.split("\n"))
      .then((result) => current && setStrength(result))
      .catch(() => current && setStrength(null)); // no meter is better than a wrong one; the API still checks
    return () => {
      current = false;
    };
  }, [password, inputs]);
  if (!password || !strength) return null;
  const label = STRENGTH_LABELS[strength.score];
  const advice = [strength.warning, ...strength.suggestions].filter(Boolean).join(" ");
  return (
    <Stack gap={4} data-testid="password-strength" data-score={strength.score}>
      <Progress.Root size="sm">
        <Progress.Section
          value={(strength.score + 1) * 20}
          color={COLORS[strength.score]}
          aria-label="Password strength"
          aria-valuetext={label}
        />
      </Progress.Root>
      <Text size="xs" c="dimmed" aria-live="polite">
        <Text span size="xs" fw={600} c="var(--mantine-color-text)">
          Strength: {label}.
        </Text>{" "}
        {advice}
      </Text>
    </Stack>
  );
}
