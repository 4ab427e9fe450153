/**
 * `Questions` is the inbox for what a run needs a person to answer: approvals of tool calls and the
 * model's `ask_user` questions. Questions are keyed by run id, not tied to the window that started
 * the run, so whoever is connected when the question comes (the terminal, any editor window) can
 * answer it, and a run can outlive the window that started it.
 */

export interface ApprovalRequest {
  /** The tool that wants to run, e.g. `run_command`. */
  tool: string;
  /** What it would do, in one line for a person (the command line, or the path written). */
  summary: string;
  /** Why the policy asks: the rule that matched. */
  reason: string;
}

export interface UserQuestion {
  /** The question, as the model wrote it. */
  question: string;
  /** Choices to offer when the answer is one of a few. Defaults to none (a free answer). */
  options?: readonly string[];
}

/**
 * An answer to an approval: yes or no, or yes or no with a note for the transcript and the model
 * (why nobody was asked, say, or that a stored "always" answered).
 */
export type ApprovalAnswer = boolean | { approved: boolean; note: string };

export interface Questions {
  /**
   * Asks whoever can answer for run `runId` whether a tool call may run. Resolves false when they
   * decline or nobody can be asked; `signal` aborts when the run stops, and the wait should end then.
   */
  requestApproval(runId: string, request: ApprovalRequest, signal?: AbortSignal): Promise<ApprovalAnswer>;
  /** Asks a question for `ask_user`; resolves undefined when nobody can answer. */
  askUser(runId: string, question: UserQuestion, signal?: AbortSignal): Promise<string | undefined>;
}

/** Questions of runs nobody can answer for: approvals are declined, questions go unanswered. */
export const headlessQuestions: Questions = {
  requestApproval: () => Promise.resolve(false),
  askUser: () => Promise.resolve(undefined),
};
