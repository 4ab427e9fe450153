/**
 * When a completion request runs: after a debounce (a keystroke that follows within it replaces
 * the request, so fast typing asks the model once), at once when the user asked explicitly, and
 * never alongside an older request for the same document, which the newer one cancels (the user
 * typed on; its answer would describe a text that is gone).
 */

/** How the editor asked: on its own as the user typed, or because the user invoked it. */
export type CompletionTrigger = "automatic" | "invoked";

/** Milliseconds to wait before asking the model. */
export function debounceDelay(trigger: CompletionTrigger, debounceMs: number): number {
  // The user asked for a suggestion (a command, a keybinding): no keystroke is coming to replace it.
  return trigger === "invoked" ? 0 : Math.max(0, debounceMs);
}

/** The newest request per document; starting one aborts the one it replaces. */
export class LatestPerDocument {
  private readonly running = new Map<string, AbortController>();

  /** Starts a request for `uri`, aborting the older one. Its signal aborts when a newer one starts or `signal` aborts. */
  start(uri: string, signal?: AbortSignal): { signal: AbortSignal; finish(): void } {
    this.running.get(uri)?.abort(new Error("a newer completion request for this document"));
    const controller = new AbortController();
    this.running.set(uri, controller);
    const onAbort = (): void => controller.abort(signal?.reason);
    if (signal?.aborted) onAbort();
    else signal?.addEventListener("abort", onAbort, { once: true });
    return {
      signal: controller.signal,
      finish: () => {
        signal?.removeEventListener("abort", onAbort);
        if (this.running.get(uri) === controller) this.running.delete(uri);
      },
    };
  }

  /** Requests still running (for tests and shutdown). */
  get size(): number {
    return this.running.size;
  }
}
