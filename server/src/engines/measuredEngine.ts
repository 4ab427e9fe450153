/**
 * Wraps an `Engine` so the host learns the speed of every finished generation (for `bora/status`)
 * without the callers having to report it.
 */
import type { Engine, StreamEvent, Timing, Usage } from "@bora/inference";

export type GenerationObserver = (done: { timing: Timing; usage: Usage }) => void;

async function* observed(
  stream: AsyncIterable<StreamEvent>,
  observer: GenerationObserver,
): AsyncGenerator<StreamEvent> {
  for await (const event of stream) {
    if (event.type === "done" && event.finishReason !== "aborted" && event.usage.completionTokens > 0) {
      try {
        observer({ timing: event.timing, usage: event.usage });
      } catch {
        // Status bookkeeping must never break a generation.
      }
    }
    yield event;
  }
}

export function measuredEngine(engine: Engine, observer: GenerationObserver): Engine {
  return {
    get info() {
      return engine.info;
    },
    chat: (request) => observed(engine.chat(request), observer),
    complete: (request) => observed(engine.complete(request), observer),
    edit: (request) => observed(engine.edit(request), observer),
    countTokens: (text, signal) => engine.countTokens(text, signal),
    dispose: () => engine.dispose(),
  };
}
