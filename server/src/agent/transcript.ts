/**
 * The record of a run: every turn (prompt size, output, tool calls, results, timings). Everything is
 * redacted before it is stored, and the JSONL file (when asked for) is written line by line, so a
 * run that crashes still leaves what happened up to then.
 */
import { appendFileSync, mkdirSync } from "node:fs";
import path from "node:path";
import type { Redactor } from "./redaction.js";

export type TranscriptEntry =
  | { type: "run"; at: string; runId: string; root: string; task: string; engine: string; sandbox?: string }
  | {
      type: "turn";
      at: string;
      turn: number;
      promptTokens: number;
      promptMessages: number;
      output: string;
      toolCalls: { id: string; name: string; arguments: Record<string, unknown> }[];
      finishReason: string;
      usage: { promptTokens: number; completionTokens: number };
      ms: number;
    }
  | {
      type: "tool";
      at: string;
      turn: number;
      id: string;
      name: string;
      ok: boolean;
      result: string;
      ms: number;
      approval?: string;
    }
  | {
      type: "compaction";
      at: string;
      turn: number;
      truncatedResults: number;
      summarizedTurns: number;
      promptTokens: number;
    }
  | { type: "checkpoint"; at: string; ref: string; commit: string }
  /** A message the run's driver added to the conversation (a workflow's check output, say), as the model saw it. */
  | { type: "message"; at: string; turn: number; role: "user"; content: string }
  | { type: "end"; at: string; status: string; reason: string; answer: string };

/** An entry as a caller writes it: `at` is filled in when it is recorded. */
export type TranscriptRecord = TranscriptEntry extends infer E
  ? E extends TranscriptEntry
    ? Omit<E, "at">
    : never
  : never;

/** Longest tool result kept in a transcript entry. */
const MAX_RESULT_CHARS = 20000;

export class Transcript {
  readonly entries: TranscriptEntry[] = [];

  constructor(
    private readonly redactor: Redactor,
    /** A JSONL file to append to. Defaults to none (memory only). */
    private readonly file?: string,
  ) {
    if (file) mkdirSync(path.dirname(file), { recursive: true });
  }

  /** `at` is filled in here. */
  record(entry: TranscriptRecord): void {
    const full = this.redactor.redactValue({ at: new Date().toISOString(), ...entry }) as TranscriptEntry;
    if (full.type === "tool" && full.result.length > MAX_RESULT_CHARS) {
      full.result = `${full.result.slice(0, MAX_RESULT_CHARS)}\n[... ${full.result.length - MAX_RESULT_CHARS} more characters not kept in the transcript]`;
    }
    this.entries.push(full);
    if (this.file) appendFileSync(this.file, `${JSON.stringify(full)}\n`);
  }
}
