/** Archiving a KPI (it keeps its values, takes no new ones and no new followers) and restoring it. */
import { Button, Group } from "@mantine/core";
import { useDisclosure } from "@mantine/hooks";
import { notifications } from "@mantine/notifications";
import type { Schemas } from "../../api/client";
import { ConfirmDialog } from "../../components/ConfirmDialog";
import { FormProblem } from "../../components/FormProblem";
import { useArchiveKpi, useUpdateKpi } from "../../queries/planning";

export function ArchiveKpiButton({ kpi }: { kpi: Schemas["KpiPublic"] }) {
  const archive = useArchiveKpi();
  const [opened, dialog] = useDisclosure(false);
  return (
    <>
      <Button variant="subtle" color="red" onClick={dialog.open}>
        Archive
      </Button>
      <ConfirmDialog
        opened={opened}
        onClose={dialog.close}
        title="Archive this KPI?"
        confirmLabel="Archive"
        pending={archive.isPending}
        error={archive.error}
        errorTitle="Not archived"
        onConfirm={() =>
          archive.mutate(
            { params: { path: { kpi_id: kpi.id } }, ifMatch: kpi },
            {
              onSuccess: () => {
                dialog.close();
                notifications.show({ color: "teal", message: "KPI archived" });
              },
            },
          )
        }
      >
        Its values stay, and the key results following it keep theirs; it takes no new values and no new followers
        until it is restored.
      </ConfirmDialog>
    </>
  );
}

export function RestoreKpiButton({ kpi }: { kpi: Schemas["KpiPublic"] }) {
  const restore = useUpdateKpi();
  return (
    <Group gap="xs">
      <FormProblem error={restore.error} title="Not restored" />
      <Button
        variant="light"
        loading={restore.isPending}
        onClick={() =>
          restore.mutate(
            { params: { path: { kpi_id: kpi.id } }, ifMatch: kpi, body: { archived: false } },
            { onSuccess: () => notifications.show({ color: "teal", message: "KPI restored" }) },
          )
        }
      >
        Restore
      </Button>
    </Group>
  );
}
