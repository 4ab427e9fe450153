/**
 * How fast a generation ran, computed the same way for every engine (local, remote, scripted), so
 * that a speed in `bora/status` or a transcript means the same thing whichever engine produced it.
 */
import type { Timing } from "./engine.js";

/** When a generation started, produced its first and last tokens, and ended, in `performance.now()` milliseconds. */
export interface GenerationMarks {
  startedMs: number;
  /** Undefined when no token came. */
  firstTokenMs: number | undefined;
  /** Undefined when no token came. */
  lastTokenMs: number | undefined;
  endMs: number;
  /** Tokens generated (the engine's own count, or the server's). */
  completionTokens: number;
}

/**
 * Decode speed in tokens per second: the tokens after the first, over the time from the first
 * token to the last. The wait for the first token is prompt processing, which `ttftMs` reports; counting
 * it here would make short answers look slow and long prompts look like slow decoding. 0 when there
 * is nothing to measure (fewer than two tokens, or all of them at the same instant).
 */
export function decodeTokensPerSecond(
  completionTokens: number,
  firstTokenMs: number | undefined,
  lastTokenMs: number | undefined,
): number {
  if (completionTokens < 2 || firstTokenMs === undefined || lastTokenMs === undefined) return 0;
  const decodeMs = lastTokenMs - firstTokenMs;
  return decodeMs > 0 ? ((completionTokens - 1) * 1000) / decodeMs : 0;
}

/** The `Timing` of a finished generation. */
export function timingOf(marks: GenerationMarks): Timing {
  const first = marks.firstTokenMs ?? marks.endMs;
  return {
    ttftMs: first - marks.startedMs,
    totalMs: marks.endMs - marks.startedMs,
    tokensPerSecond: decodeTokensPerSecond(marks.completionTokens, marks.firstTokenMs, marks.lastTokenMs),
  };
}
