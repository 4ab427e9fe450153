/**
 * `EditorHost` is what the agent runtime knows of whoever started the run: VS Code through the LSP
 * host, the `bora run` CLI, or a test. The runtime never imports LSP, VS Code or DBOS; it asks this
 * interface for approvals and answers and tells it about progress.
 */

export interface ApprovalRequest {
  /** The tool that wants to run, e.g. `run_command`. */
  tool: string;
  /** What it would do, in one line for a person (the command line, or the path written). */
  summary: string;
  /** Why the policy asks: the rule that matched. */
  reason: string;
}

export type AgentEvent =
  | { kind: "runStarted"; runId: string; root: string; task: string }
  | { kind: "turnStarted"; turn: number; promptTokens: number }
  | { kind: "text"; turn: number; text: string }
  | { kind: "toolCall"; turn: number; name: string; summary: string }
  | { kind: "toolResult"; turn: number; name: string; ok: boolean; summary: string; ms: number }
  | { kind: "checkpoint"; ref: string }
  | { kind: "compacted"; truncatedResults: number; summarizedTurns: number }
  | { kind: "runFinished"; status: string; reason: string };

export interface EditorHost {
  /** Asks the user whether a tool call may run; resolves false when they decline or cannot be asked. */
  requestApproval(request: ApprovalRequest, signal?: AbortSignal): Promise<boolean>;
  /** Asks the user a question for `ask_user`; resolves undefined when nobody can answer. */
  askUser(question: string, options: readonly string[] | undefined, signal?: AbortSignal): Promise<string | undefined>;
  /** Progress for display; already redacted. Must not throw. */
  progress(event: AgentEvent): void;
}

/** A host for runs nobody watches: approvals are declined, questions unanswered, progress dropped. */
export const headlessHost: EditorHost = {
  requestApproval: () => Promise.resolve(false),
  askUser: () => Promise.resolve(undefined),
  progress: () => undefined,
};
