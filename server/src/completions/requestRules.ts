/**
 * When a completion request runs: after a debounce (a keystroke that follows within it replaces
 * the request, so fast typing asks the model once), at once when the user asked explicitly, and
 * never alongside an older request for the same document, which the newer one cancels (the user
 * typed on; its answer would describe a text that is gone).
 *
 * The debounce stretches to the typing rhythm: while keystrokes come faster than the set debounce
 * can cover, each would start a model call that the next keystroke cancels, and a prompt
 * evaluation once started runs to its end natively. On a CPU that work (a fraction of a second a
 * keystroke) piles up, keeps the sequence whose cache holds the document busy, and the request at
 * the typist's pause then waits for it or lands on a sequence with a cold cache (measured with
 * `npm run bench -- editor`: most line-end completions were cancelled unanswered). So a request
 * that follows the last one within `MAX_RHYTHM_DEBOUNCE_MS / RHYTHM_DEBOUNCE_FACTOR` waits a little
 * longer than that gap: if the typist goes on, no model work was started at all.
 */

/**
 * How much longer than the last gap between requests a request waits while the user types fast:
 * enough that the next keystroke at the same rhythm (give or take a quarter) comes first.
 */
export const RHYTHM_DEBOUNCE_FACTOR = 1.25;
/**
 * The longest the rhythm may stretch the debounce. Each millisecond of it is added to every
 * completion shown after fast typing, so only fast typing (gaps up to 120 ms) is covered; slower
 * typists leave the engine time to answer between keystrokes anyway.
 */
export const MAX_RHYTHM_DEBOUNCE_MS = 150;

/** How the editor asked: on its own as the user typed, or because the user invoked it. */
export type CompletionTrigger = "automatic" | "invoked";

/**
 * Milliseconds to wait before asking the model; `gapMs`: the time since the document's previous
 * request (undefined for its first).
 */
export function debounceDelay(trigger: CompletionTrigger, debounceMs: number, gapMs?: number): number {
  // The user asked for a suggestion (a command, a keybinding): no keystroke is coming to replace it.
  if (trigger === "invoked") return 0;
  const set = Math.max(0, debounceMs);
  if (gapMs === undefined) return set;
  const rhythm = Math.round(gapMs * RHYTHM_DEBOUNCE_FACTOR);
  // A longer gap is a pause, not a rhythm: when the next keystroke comes cannot be told from it.
  return rhythm <= MAX_RHYTHM_DEBOUNCE_MS ? Math.max(set, rhythm) : set;
}

/** The newest request per document; starting one aborts the one it replaces. */
export class LatestPerDocument {
  private readonly running = new Map<string, AbortController>();
  /** When each document's last request arrived (milliseconds on the caller's clock). */
  private readonly arrivals = new Map<string, number>();

  /** Records that a request for `uri` arrived at `now`; returns the time since the one before (undefined: none). */
  arrived(uri: string, now: number): number | undefined {
    const last = this.arrivals.get(uri);
    this.arrivals.set(uri, now);
    return last === undefined ? undefined : now - last;
  }

  /** Forgets a closed document. */
  forget(uri: string): void {
    this.arrivals.delete(uri);
  }

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
