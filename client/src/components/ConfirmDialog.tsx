/** A confirmation before a change that takes something out of use (archive): what happens, "Keep it", the red action. */
import { Button, Group, Modal, Text } from "@mantine/core";
import type { ReactNode } from "react";
import { FormProblem } from "./FormProblem";

export function ConfirmDialog({
  opened,
  onClose,
  title,
  children,
  confirmLabel,
  pending,
  error,
  errorTitle,
  onConfirm,
}: {
  opened: boolean;
  onClose: () => void;
  title: string;
  children: ReactNode;
  confirmLabel: string;
  pending: boolean;
  error: unknown;
  errorTitle?: string;
  onConfirm: () => void;
}) {
  return (
    <Modal opened={opened} onClose={onClose} title={title}>
      <FormProblem error={error} {...(errorTitle ? { title: errorTitle } : {})} />
      <Text size="sm" mb="md">
        {children}
      </Text>
      <Group justify="flex-end">
        <Button variant="default" onClick={onClose}>
          Keep it
        </Button>
        <Button color="red.9" loading={pending} onClick={onConfirm}>
          {confirmLabel}
        </Button>
      </Group>
    </Modal>
  );
}
