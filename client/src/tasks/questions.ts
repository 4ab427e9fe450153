/**
 * What the user reads when a task asks: an approval's modal and an `ask_user` question's picker.
 * Pure (no `vscode` import), so the wording and the mapping of a choice to an answer are tested
 * without VS Code; `questionHandlers.ts` shows them.
 */
import type { ApprovalDecision, AskUserParams, RequestApprovalParams } from "@bora/protocol";

export interface ApprovalChoice {
  /** The button's text. */
  title: string;
  decision: ApprovalDecision;
}

/** The buttons, in the order shown. "Deny" is a button as well as the dismissal, so it can be chosen on purpose. */
export const APPROVAL_CHOICES: readonly ApprovalChoice[] = [
  { title: "Allow once", decision: "once" },
  { title: "Always for this workspace", decision: "always" },
  { title: "Deny", decision: "deny" },
];

/**
 * A summary longer than this is cut in the modal's first line; the whole of it is in the detail.
 * A command line can be long, and a modal title that wraps over many lines hides the buttons' sense.
 */
export const MAX_SUMMARY_IN_MESSAGE = 120;

export interface ApprovalPrompt {
  /** The modal's first line: which task wants to do what. */
  message: string;
  /** Below it: the whole summary and the policy rule that asks. */
  detail: string;
  choices: readonly ApprovalChoice[];
}

/** What a tool does, in the words of the modal's first line; other tools read "use <tool> on". */
const ACTIONS: Readonly<Record<string, string>> = {
  run_command: "run a command",
  write_file: "write a file",
  edit_file: "edit a file",
};

function clip(text: string, max: number): string {
  const line = text.replace(/\s+/g, " ").trim();
  return line.length > max ? `${line.slice(0, max - 1)}…` : line;
}

/** The approval's wording; `taskTitle` is the task's title when the client knows it. */
export function approvalPrompt(params: RequestApprovalParams, taskTitle: string | undefined): ApprovalPrompt {
  const who = taskTitle !== undefined && taskTitle !== "" ? `Bora (${taskTitle})` : "Bora";
  return {
    message: `${who} wants to ${ACTIONS[params.tool] ?? `use ${params.tool} on`}: ${clip(params.summary, MAX_SUMMARY_IN_MESSAGE)}`,
    detail: `${params.summary}\n\nAsked because: ${params.reason}`,
    choices: APPROVAL_CHOICES,
  };
}

/** The decision for the button chosen; a dismissed modal (or any other answer) denies. */
export function decisionOf(choice: string | undefined): ApprovalDecision {
  return APPROVAL_CHOICES.find((c) => c.title === choice)?.decision ?? "deny";
}

export type AskPrompt =
  | { kind: "pick"; title: string; placeholder: string; options: string[] }
  | { kind: "input"; title: string; prompt: string };

/** A question with options is a quick pick of them; one without, an input box. */
export function askPrompt(params: AskUserParams, taskTitle: string | undefined): AskPrompt {
  const title = taskTitle !== undefined && taskTitle !== "" ? `Bora asks (${taskTitle})` : "Bora asks";
  const options = (params.options ?? []).filter((option) => option.trim() !== "");
  return options.length > 0
    ? { kind: "pick", title, placeholder: params.question, options }
    : { kind: "input", title, prompt: params.question };
}
