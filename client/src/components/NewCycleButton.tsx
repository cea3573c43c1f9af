/** "New cycle" opening the cycle form in a dialog; the new cycle becomes the chosen one. */
import { Button, Modal } from "@mantine/core";
import { useDisclosure } from "@mantine/hooks";
import { notifications } from "@mantine/notifications";
import { rememberCycle } from "../queries/cycleChoice";
import { fieldErrors } from "../lib/problem";
import { useMe } from "../queries/auth";
import { useCreateCycle, useCycles } from "../queries/okrs";
import { FormProblem } from "./FormProblem";
import { CycleForm } from "./forms/CycleForm";

export function NewCycleButton({ variant = "filled" }: { variant?: "filled" | "default" | "light" }) {
  const [opened, { open, close }] = useDisclosure(false);
  const cycles = useCycles();
  const create = useCreateCycle();
  const me = useMe();
  return (
    <>
      <Button variant={variant} onClick={open}>
        New cycle
      </Button>
      <Modal opened={opened} onClose={close} title="New cycle" size="lg">
        <FormProblem error={create.error} />
        <CycleForm
          cycles={cycles.data?.items ?? []}
          fiscalStartMonth={me.data?.organisation.settings.fiscal_year_start_month ?? 1}
          serverErrors={fieldErrors(create.error)}
          submitting={create.isPending}
          onCancel={close}
          onSubmit={(body) =>
            create.mutate(
              { body },
              {
                onSuccess: (cycle) => {
                  rememberCycle(cycle.id);
                  notifications.show({ color: "teal", message: `Cycle ${cycle.name} created` });
                  create.reset();
                  close();
                },
              },
            )
          }
        />
      </Modal>
    </>
  );
}
