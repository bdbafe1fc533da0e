import { STATUS_LABEL, type CallStatus } from "../api/call";

export function StatusBadge({ status }: { status: CallStatus }) {
  return <span className={`badge badge-${status}`}>{STATUS_LABEL[status]}</span>;
}
