/** A durable task's status as one line of terminal text. */
import type { TaskStatusRecord } from "../workflows/durable.js";

export function formatStatus(status: TaskStatusRecord): string {
  return `[${status.step}] ${status.state}: ${status.reason}`;
}
