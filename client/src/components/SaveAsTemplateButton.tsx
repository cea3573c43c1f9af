/** "Save as template" on an objective page: its live key results become one of the organisation's templates. */
import { Button, Group, Modal, NativeSelect, Stack, Text, TextInput } from "@mantine/core";
import { useDisclosure } from "@mantine/hooks";
import { notifications } from "@mantine/notifications";
import { useState } from "react";
import type { Schemas } from "../api/client";
import { CATEGORY_LABEL, type TemplateCategory } from "../lib/templates";
import { useSaveTemplate } from "../queries/planning";
import { FormProblem } from "./FormProblem";

export function SaveAsTemplateButton({ objective }: { objective: Schemas["ObjectivePublic"] }) {
  const [opened, { open, close }] = useDisclosure(false);
  const save = useSaveTemplate();
  const [title, setTitle] = useState(objective.title);
  const [category, setCategory] = useState<TemplateCategory>("other");
  const submit = () =>
    void save
      .mutateAsync({ body: { objective_id: objective.id, title: title.trim() || null, category } })
      .then(
        () => {
          notifications.show({ color: "teal", message: "Saved as a template" });
          save.reset();
          close();
        },
        () => undefined,
      );
  return (
    <>
      <Button variant="default" size="xs" onClick={open}>
        Save as template
      </Button>
      <Modal opened={opened} onClose={close} title="Save as template">
        <Stack gap="sm">
          <Text size="sm" c="dimmed">
            The objective and its key results as they are now; each key result's hint says what it aimed for and
            reached. Later edits to the objective do not change the template.
          </Text>
          <TextInput label="Template title" value={title} onChange={(event) => setTitle(event.currentTarget.value)} />
          <NativeSelect
            label="Category"
            value={category}
            onChange={(event) => setCategory(event.currentTarget.value as TemplateCategory)}
            data={Object.entries(CATEGORY_LABEL).map(([value, label]) => ({ value, label }))}
          />
          <FormProblem error={save.error} />
          <Group justify="flex-end">
            <Button variant="default" onClick={close}>
              Cancel
            </Button>
            <Button onClick={submit} loading={save.isPending}>
              Save template
            </Button>
          </Group>
        </Stack>
      </Modal>
    </>
  );
}
