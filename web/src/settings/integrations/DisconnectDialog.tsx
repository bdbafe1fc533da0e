// "Disconnect <provider>" of an integration (Slack, Zoom): ConfirmDialog with the labels
// every disconnect shares; the question says what goes and what stays.
import { ConfirmDialog, type ConfirmDialogProps } from "../../components/ConfirmDialog";

type DisconnectDialogProps = Omit<ConfirmDialogProps, "label" | "name" | "confirmLabel"> & { provider: string };

export function DisconnectDialog({ provider, ...dialog }: DisconnectDialogProps) {
  return (
    <ConfirmDialog
      label={`Disconnect ${provider}`}
      name={`Confirm disconnecting ${provider}`}
      confirmLabel={`Yes, disconnect ${provider}`}
      {...dialog}
    />
  );
}
