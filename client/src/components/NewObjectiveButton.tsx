/** "New objective" in a dialog, for the chosen cycle. */
import { Button, Modal } from "@mantine/core";
import { useDisclosure } from "@mantine/hooks";
import { notifications } from "@mantine/notifications";
import { IconPlus } from "@tabler/icons-react";
import { useNavigate } from "react-router";
import { fieldErrors } from "../lib/problem";
import { useDirectory } from "../queries/directory";
import { useCreateObjective } from "../queries/okrs";
import { FormProblem } from "./FormProblem";
import { ObjectiveForm, objectiveCreateBody, objectiveDraftOf } from "./forms/ObjectiveForm";

export function NewObjectiveButton({ cycleId, cycleName }: { cycleId: string; cycleName: string }) {
  const [opened, { open, close }] = useDisclosure(false);
  const create = useCreateObjective();
  const navigate = useNavigate();
  const directory = useDirectory();
  return (
    <>
      <Button leftSection={<IconPlus size={16} aria-hidden />} onClick={open}>
        New objective
      </Button>
      <Modal opened={opened} onClose={close} title={`New objective in ${cycleName}`} size="lg">
        <FormProblem error={create.error} />
        <ObjectiveForm
          initial={objectiveDraftOf(undefined, directory.teams.length > 0)}
          serverErrors={fieldErrors(create.error)}
          submitting={create.isPending}
          submitLabel="Create objective"
          onCancel={close}
          onSubmit={(draft) => {
            // mutateAsync, not mutate's onSuccess: the refetch after a first objective unmounts the empty state
            // holding this button, and a per-call onSuccess would then never run (no navigation to the objective).
            void create.mutateAsync({ body: objectiveCreateBody(draft, cycleId) }).then(
              (objective) => {
                notifications.show({ color: "teal", message: "Objective created" });
                create.reset();
                close();
                void navigate(`/objectives/${objective.id}`);
              },
              () => undefined, // shown by FormProblem from create.error
            );
          }}
        />
      </Modal>
    </>
  );
}
