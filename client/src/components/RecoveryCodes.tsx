/** Recovery codes, shown once: copy all, or download them as a text file; each code signs in once. */
import { Alert, Button, Code, CopyButton, Group, SimpleGrid, Stack, Text } from "@mantine/core";

export function recoveryCodesText(codes: string[], label: string): string {
  return [`Sightline recovery codes for ${label}`, "Each code signs you in once.", "", ...codes, ""].join("\n");
}

export function RecoveryCodes({ codes, label, onDone }: { codes: string[]; label: string; onDone: () => void }) {
  const download = () => {
    const url = URL.createObjectURL(new Blob([recoveryCodesText(codes, label)], { type: "text/plain" }));
    const link = document.createElement("a");
    link.href = url;
    link.download = "sightline-recovery-codes.txt";
    link.click();
    setTimeout(() => URL.revokeObjectURL(url), 1_000);
  };
  return (
    <Stack>
      <Alert color="yellow" title="Save these recovery codes now: they are shown only once" role="status">
        If you lose your authenticator app, sign in with one of them. Each code works once; Sightline keeps only their
        hashes.
      </Alert>
      <SimpleGrid cols={{ base: 1, xs: 2 }} spacing="xs" component="ul" aria-label="Recovery codes" data-testid="recovery-codes" m={0} p={0} style={{ listStyle: "none" }}>
        {codes.map((code) => (
          <li key={code}>
            <Code fz="sm">{code}</Code>
          </li>
        ))}
      </SimpleGrid>
      <Text size="sm" c="dimmed">
        Keep them somewhere safe, apart from your phone: a password manager or a printed page.
      </Text>
      <Group justify="space-between">
        <Group gap="xs">
          <CopyButton value={codes.join("\n")}>
            {({ copied, copy }) => (
              <Button variant="light" color={copied ? "teal" : undefined} onClick={copy}>
                {copied ? "Copied" : "Copy codes"}
              </Button>
            )}
          </CopyButton>
          <Button variant="light" onClick={download}>
            Download
          </Button>
        </Group>
        <Button onClick={onDone}>I have saved them</Button>
      </Group>
    </Stack>
  );
}
