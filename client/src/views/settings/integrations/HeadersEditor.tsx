/** Request headers of an HTTP source (e.g. Authorization): stored encrypted, only their names are shown again. */
import { Button, Group, Stack, Text, TextInput } from "@mantine/core";
import type { HeaderDraft } from "../../../lib/integrationForm";

interface Props {
  savedNames: string[];
  keep: boolean;
  headers: HeaderDraft[];
  errors: Record<string, string>;
  onChange: (keep: boolean, headers: HeaderDraft[]) => void;
}

export function HeadersEditor({ savedNames, keep, headers, errors, onChange }: Props) {
  if (keep)
    return (
      <Group justify="space-between" gap="xs">
        <Text size="sm">
          Saved headers: {savedNames.join(", ")} <Text span c="dimmed" size="xs">(values hidden)</Text>
        </Text>
        <Button size="compact-sm" variant="subtle" onClick={() => onChange(false, [])}>
          Replace headers
        </Button>
      </Group>
    );
  const edit = (index: number, change: Partial<HeaderDraft>) =>
    onChange(false, headers.map((header, i) => (i === index ? { ...header, ...change } : header)));
  return (
    <Stack gap={6}>
      <Text size="sm" fw={500}>
        Request headers
      </Text>
      <Text size="xs" c="dimmed">
        Stored encrypted and never shown again; sent only to the URL's own site.
        {savedNames.length > 0 ? " Saving replaces the saved ones (none: removes them)." : ""}
      </Text>
      {headers.map((header, index) => (
        <Group key={index} align="flex-start" gap="xs" wrap="wrap">
          <TextInput
            label={`Header ${index + 1} name`}
            placeholder="Authorization"
            value={header.name}
            onChange={(e) => edit(index, { name: e.currentTarget.value })}
            error={errors[`source.headers.${index}.name`]}
            style={{ flex: "1 1 140px" }}
          />
          <TextInput
            label={`Header ${index + 1} value`}
            placeholder="Bearer …"
            type="password"
            autoComplete="off"
            value={header.value}
            onChange={(e) => edit(index, { value: e.currentTarget.value })}
            error={errors[`source.headers.${index}.value`] ?? errors[`source.headers.${header.name}`]}
            style={{ flex: "2 1 200px" }}
          />
          <Button
            variant="subtle"
            color="red"
            mt={26}
            onClick={() => onChange(false, headers.filter((_, i) => i !== index))}
          >
            Remove<span className="visually-hidden-label"> header {index + 1}</span>
          </Button>
        </Group>
      ))}
      {errors["source.headers"] && (
        <Text size="xs" c="red.8">
          {errors["source.headers"]}
        </Text>
      )}
      <Group>
        <Button size="compact-sm" variant="light" onClick={() => onChange(false, [...headers, { name: "", value: "" }])} disabled={headers.length >= 10}>
          Add a header
        </Button>
      </Group>
    </Stack>
  );
}
