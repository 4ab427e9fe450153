/**
 * What a palette task asks of the agent, per kind: the task text the model reads (the user's
 * instruction with the code it is about), a title for lists, and the approval policy the kind runs
 * under. Pure: no file system, no editor, so each kind's wording is tested on its own.
 */
import type { AgentSettings, ForegroundTaskKind as TaskKind } from "@bora/protocol";
import type { ApprovalPolicy } from "../agent/approvals.js";

/**
 * Most characters of the selection quoted in the task text. A selection is usually a function or
 * two; past 32 KiB (about 8k tokens) it would crowd out the conversation, and the model can read
 * the rest of the file with `read_file`, which the text tells it.
 */
export const MAX_QUOTED_SELECTION_CHARS = 32_768;
/** Longest title: what fits in a tree row or a notification without wrapping. */
export const MAX_TITLE_CHARS = 80;

/** The code a task is about, as the host resolved it from the scope. */
export interface TaskContext {
  /** The document, relative to the task's root (POSIX separators). */
  file?: string;
  /** Its language id, from the editor. */
  language?: string;
  /** The selected text (from the editor's buffer, saved or not) and its 1-based line span. */
  selection?: { text: string; startLine: number; endLine: number };
  /** Further files (`@file` mentions), relative to the root. */
  files: readonly string[];
}

function where(context: TaskContext): string {
  if (context.file === undefined) return "the workspace";
  const s = context.selection;
  if (s === undefined) return context.file;
  return s.startLine === s.endLine ? `${context.file}:${s.startLine}` : `${context.file}:${s.startLine}-${s.endLine}`;
}

function fence(text: string): string {
  // A fence longer than any backtick run inside, so the quoted code cannot close it.
  const longest = Math.max(2, ...Array.from(text.matchAll(/`+/g), (m) => m[0].length));
  return "`".repeat(longest + 1);
}

function quotedSelection(context: TaskContext): string[] {
  const s = context.selection;
  if (s === undefined || context.file === undefined) return [];
  const cut = s.text.length > MAX_QUOTED_SELECTION_CHARS;
  const text = cut ? s.text.slice(0, MAX_QUOTED_SELECTION_CHARS) : s.text;
  const marks = fence(text);
  const body = text.endsWith("\n") ? text.slice(0, -1) : text;
  return [
    `The code (${where(context)}${cut ? `, first ${MAX_QUOTED_SELECTION_CHARS} characters; read the file for the rest` : ""}):`,
    `${marks}${context.language ?? ""}\n${body}\n${marks}`,
  ];
}

function mentioned(context: TaskContext): string[] {
  if (context.files.length === 0) return [];
  return [`Files the user pointed to: ${context.files.join(", ")}.`];
}

/** The task as the model reads it. */
export function taskText(kind: TaskKind, instruction: string, context: TaskContext): string {
  const asked = instruction.trim();
  const lines: string[] = [];
  switch (kind) {
    case "explain":
      lines.push(
        asked === ""
          ? `Explain ${where(context)}: what it does, how, and anything surprising in it.`
          : `${asked}\n\n(About ${where(context)}.)`,
        "Answer in Markdown. Read other files when you need them; do not change any file and do not run commands.",
      );
      break;
    case "writeTests":
      lines.push(
        `Write tests for ${where(context)}.${asked === "" ? "" : ` ${asked}`}`,
        "First find how this project tests: its test framework, where the tests live and how they are named (look at package.json or the build file, and at existing test files). Add the tests to the existing test file for this code, or create one where the project's conventions put it. Then run the tests with run_command and fix the tests until they pass; do not change the code under test unless the user asked for it. Finish with what you added and the test run's result.",
      );
      break;
    case "free":
      lines.push(asked, ...(context.file !== undefined ? [`The user is looking at ${where(context)}.`] : []));
      break;
  }
  return [...lines, ...mentioned(context), ...quotedSelection(context)].join("\n\n");
}

/** A short title for lists and notifications. */
export function taskTitle(kind: TaskKind, instruction: string, context: TaskContext): string {
  const place = context.file === undefined ? "" : where(context).split("/").pop()!;
  const title =
    kind === "explain"
      ? instruction.trim() === ""
        ? `Explain ${place || "the workspace"}`
        : instruction.trim()
      : kind === "writeTests"
        ? `Write tests for ${place || "the workspace"}`
        : instruction.trim();
  const oneLine = title.replace(/\s+/g, " ");
  return oneLine.length > MAX_TITLE_CHARS ? `${oneLine.slice(0, MAX_TITLE_CHARS - 1)}…` : oneLine;
}

/**
 * The policy a kind runs under, over the default one. An explanation only reads: nothing it does
 * may change the workspace, whatever the model asks for, so the write tools and commands are
 * refused by policy rather than left to an approval prompt.
 */
export function taskPolicy(kind: TaskKind): ApprovalPolicy | undefined {
  if (kind !== "explain") return undefined;
  return { write_file: "never", edit_file: "never", run_command: "never" };
}

/**
 * A task's end reason with what to change when a budget ended it, named as the editor's settings
 * (the run's own reasons name no setting, since the CLI has flags for the same budgets).
 */
export function withHint(reason: string, status: string | undefined, settings: AgentSettings): string {
  const hint: Record<string, string> = {
    max_turns: `to allow more turns, raise bora.agent.maxTurns (now ${settings.maxTurns})`,
    timeout: `to allow more time, raise bora.agent.maxMinutes (now ${settings.maxMinutes})`,
    truncated: `to give each reply more room, raise bora.agent.maxTokensPerTurn (now ${settings.maxTokensPerTurn})`,
    context_exhausted: "with the local engine, raise bora.local.contextSize",
  };
  const extra = status !== undefined ? hint[status] : undefined;
  return extra === undefined ? reason : `${reason}. ${extra[0]!.toUpperCase()}${extra.slice(1)}.`;
}
