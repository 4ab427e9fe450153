/**
 * Approvals the host is waiting for that the Chat view can answer with its own buttons, beside the
 * notification that carries the same three. One per task (a task asks one thing at a time); the
 * first answer wins and later ones are ignored, so a click in the chat and one on the notification
 * cannot both count. Pure (no `vscode` import).
 */
import type { ApprovalDecision, RequestApprovalParams } from "@bora/protocol";

interface Pending {
  params: RequestApprovalParams;
  resolve(decision: ApprovalDecision): void;
}

export class PendingApprovals {
  private readonly pending = new Map<string, Pending>();
  private readonly listeners = new Set<() => void>();

  /** Waits for `answer` on this task; an earlier approval still open for it is denied first. */
  ask(params: RequestApprovalParams): Promise<ApprovalDecision> {
    this.answer(params.taskId, "deny");
    return new Promise((resolve) => {
      this.pending.set(params.taskId, { params, resolve });
      this.changed();
    });
  }

  /** Answers the task's open approval; false when none is open (already answered, say). */
  answer(taskId: string, decision: ApprovalDecision): boolean {
    const open = this.pending.get(taskId);
    if (open === undefined) return false;
    this.pending.delete(taskId);
    open.resolve(decision);
    this.changed();
    return true;
  }

  /** Whether the task has an approval the chat can answer. */
  has(taskId: string): boolean {
    return this.pending.has(taskId);
  }

  onDidChange(listener: () => void): { dispose(): void } {
    this.listeners.add(listener);
    return { dispose: () => this.listeners.delete(listener) };
  }

  private changed(): void {
    for (const listener of [...this.listeners]) listener();
  }
}
