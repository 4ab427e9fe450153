/**
 * The shape every agent tool has. Tool names, argument schemas, results and error codes are a
 * stable interface (docs/agent-tools.md): recorded scripts and users' policies refer to them.
 */
import { CodedError, type ToolDefinition } from "@bora/inference";
import type { CommandRunner } from "../../workspace/sandbox.js";
import type { Spawner } from "../../workspace/spawner.js";
import type { Questions } from "../questions.js";

/** Stable error codes a tool result can carry. */
export type ToolErrorCode =
  | "invalid_arguments"
  | "unknown_tool"
  | "outside_root"
  | "invalid_path"
  | "not_found"
  | "not_a_file"
  | "not_a_directory"
  | "binary_file"
  | "invalid_utf8"
  | "too_large"
  | "no_edits_applied"
  | "bad_pattern"
  | "sandbox_unavailable"
  | "denied"
  | "no_answer"
  | "unsaved_changes"
  | "io_error";

export class ToolError extends CodedError<ToolErrorCode> {
  override readonly name = "ToolError";
}

export type ToolOutput = { ok: true; content: string } | { ok: false; code: ToolErrorCode; message: string };

export interface ToolLimits {
  /** Most bytes of a file `read_file` returns in one call. Defaults to 256 KiB. */
  maxReadBytes: number;
  /** Files larger than this are never loaded whole (only line ranges are streamed). Defaults to 8 MiB. */
  maxFileBytes: number;
  /** Most bytes `write_file` and `edit_file` write. Defaults to 4 MiB. */
  maxWriteBytes: number;
  /** Most entries `list_dir` returns. Defaults to 500. */
  maxDirEntries: number;
  /** Most matches `search` returns. Defaults to 200. */
  maxSearchMatches: number;
  /** Default `timeout_s` of `run_command`. Defaults to 120. */
  defaultCommandTimeoutS: number;
  /** Largest `timeout_s` a call may ask for. Defaults to 600. */
  maxCommandTimeoutS: number;
}

export const DEFAULT_TOOL_LIMITS: ToolLimits = {
  maxReadBytes: 256 * 1024,
  maxFileBytes: 8 * 1024 * 1024,
  maxWriteBytes: 4 * 1024 * 1024,
  maxDirEntries: 500,
  maxSearchMatches: 200,
  defaultCommandTimeoutS: 120,
  maxCommandTimeoutS: 600,
};

export interface CommandRecord {
  command: string;
  exitCode: number | null;
  timedOut: boolean;
  ms: number;
}

export interface ToolContext {
  /** The run's root, a real path. */
  root: string;
  /** The run's id: questions to the user are keyed by it. */
  runId: string;
  signal: AbortSignal;
  /** Where `ask_user` asks. */
  questions: Questions;
  limits: ToolLimits;
  /** The command runner, or why there is none (bubblewrap missing and unsandboxed runs not allowed). */
  commands(): Promise<CommandRunner>;
  /** Starts the child processes tools need (ripgrep, git grep), so that a shutdown of the run's owner ends them. */
  spawner: Spawner;
  /**
   * Called before anything changes the root: takes the run's checkpoint the first time. A tool that
   * writes one file names it, so that the run's write guard can refuse it (a file the user is
   * editing with unsaved changes) before anything is written.
   */
  beforeWrite(file?: WriteTarget): Promise<void>;
  /** Milliseconds left of the run's wall-time budget. */
  remainingMs(): number;
  /** Records a file the run changed, for the summary. */
  noteWrite(relativePath: string): void;
  noteCommand(record: CommandRecord): void;
}

/** What a call touches, for the approval policy and for progress lines. */
/** A file a tool is about to write. */
export interface WriteTarget {
  /** Real absolute path. */
  absolute: string;
  /** Relative to the root, POSIX separators. */
  relative: string;
}

/**
 * Refuses a write the user would not want made behind their back, by throwing a `ToolError`
 * (`unsaved_changes`) the model reads; resolves to let it go ahead.
 */
export type WriteGuard = (file: WriteTarget) => Promise<void>;

export interface CallSubject {
  summary: string;
  command?: string;
  /** Relative to the root, as written (lexically normalized). */
  paths?: string[];
}

export interface Tool {
  definition: ToolDefinition;
  /** Whether the tool can change the root (then a checkpoint is taken first). */
  mutates: boolean;
  subject(args: Record<string, unknown>): CallSubject;
  run(args: Record<string, unknown>, context: ToolContext): Promise<string>;
}
