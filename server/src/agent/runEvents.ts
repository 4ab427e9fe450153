/**
 * `RunEvents` is where a run's progress goes: the `bora run` terminal, an editor window, a task list,
 * or nowhere. It is a sink only: nothing the run does waits on it or depends on what it does, so a
 * run goes on when the window that started it closes.
 */

export type AgentEvent =
  | { kind: "runStarted"; runId: string; root: string; task: string }
  /**
   * A model turn begins. The prompt size is the runtime's own estimate (the conversation and the tool
   * definitions, counted before the engine renders its chat template); `turnFinished` has the
   * engine's count.
   */
  | { kind: "turnStarted"; turn: number; estimatedPromptTokens: number }
  | { kind: "text"; turn: number; text: string }
  /**
   * A model turn ended. `promptTokens` and `completionTokens` are the engine's counts for this turn
   * (the run's summary adds them up); `ms` is the wall time from the request to the last token.
   */
  | {
      kind: "turnFinished";
      turn: number;
      promptTokens: number;
      completionTokens: number;
      ms: number;
      finishReason: string;
    }
  | { kind: "toolCall"; turn: number; name: string; summary: string }
  | { kind: "toolResult"; turn: number; name: string; ok: boolean; summary: string; ms: number }
  | { kind: "checkpoint"; ref: string }
  | { kind: "compacted"; truncatedResults: number; summarizedTurns: number }
  | { kind: "runFinished"; status: string; reason: string };

export interface RunEvents {
  /** Progress of run `runId`, for display; already redacted. Must not throw. */
  emit(runId: string, event: AgentEvent): void;
}

/** Events of runs nobody watches: dropped. */
export const headlessEvents: RunEvents = {
  emit: () => undefined,
};
