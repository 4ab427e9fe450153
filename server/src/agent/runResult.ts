/** How a finished run is reported: the result object, and the plain-text summary the CLI prints. */
import type { ChangedFile, Checkpoint } from "../workspace/checkpoints.js";
import type { RunDeps } from "./runDeps.js";
import type { RunState, RunStatus, TokenUsage } from "./runState.js";
import type { CommandRecord } from "./tools/index.js";
import type { TranscriptEntry } from "./transcript.js";

export interface AgentRunResult {
  runId: string;
  status: RunStatus;
  ok: boolean;
  /** Why the run ended, in a sentence. */
  reason: string;
  /** The model's final answer (its last text). */
  answer: string;
  turns: number;
  /** The engine's counts, summed over all turns. */
  usage: TokenUsage;
  /** The engine's prompt count of the last turn (the size the conversation reached); progress shows the same count per turn. */
  lastPromptTokens: number;
  elapsedMs: number;
  checkpoint?: Checkpoint;
  filesChanged: ChangedFile[];
  commands: CommandRecord[];
  transcript: TranscriptEntry[];
  /** A plain-text summary for people (the CLI prints it). */
  summary: string;
}

/** Milliseconds as seconds with one decimal, the way run reports show times: `9.8 s`. */
export function formatSeconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}

export function formatSummary(result: Omit<AgentRunResult, "summary" | "transcript">): string {
  const lines = [
    `Status: ${result.status}: ${result.reason}`,
    `Turns: ${result.turns}, time: ${formatSeconds(result.elapsedMs)}`,
    // The per-turn progress lines show each turn's prompt; the totals add every turn's up.
    `Tokens (all turns): ${result.usage.promptTokens} prompt + ${result.usage.completionTokens} completion; last prompt: ${result.lastPromptTokens}`,
  ];
  const mark = { added: "A", modified: "M", deleted: "D" } as const;
  lines.push(
    result.filesChanged.length === 0
      ? "Changed files: none"
      : `Changed files (${result.filesChanged.length}):\n${result.filesChanged.map((f) => `  ${mark[f.status]} ${f.path}`).join("\n")}`,
  );
  if (result.commands.length > 0) {
    lines.push(
      `Commands (${result.commands.length}):\n${result.commands
        .map(
          (c) => `  ${c.command} → ${c.timedOut ? "timed out" : c.exitCode === null ? "killed" : `exit ${c.exitCode}`}`,
        )
        .join("\n")}`,
    );
  }
  if (result.checkpoint)
    lines.push(`Checkpoint: ${result.checkpoint.ref} (undo with: bora run --rollback ${result.runId})`);
  if (result.answer.trim()) lines.push("", result.answer.trim());
  return lines.join("\n");
}

/** Ends a run whose state has an end: records it, works out what it changed, and reports. */
export async function finishRun(state: RunState, deps: RunDeps): Promise<AgentRunResult> {
  const { status, reason } = state.end ?? { status: "aborted", reason: "the run ended without a verdict" };
  const filesChanged = await deps.checkpoint.changedFiles(state.filesWritten);
  deps.recorder.record({ type: "end", status, reason, answer: state.answer });
  deps.recorder.emit({ kind: "runFinished", status, reason });
  const checkpoint = deps.checkpoint.current;
  const base = {
    runId: state.runId,
    status,
    ok: status === "completed",
    reason,
    answer: deps.recorder.redact(state.answer),
    turns: state.turns,
    usage: state.usage,
    lastPromptTokens: state.lastPromptTokens,
    elapsedMs: deps.stop.elapsedMs(),
    checkpoint,
    filesChanged,
    commands: state.commands,
  };
  return { ...base, transcript: deps.recorder.entries, summary: deps.recorder.redact(formatSummary(base)) };
}
