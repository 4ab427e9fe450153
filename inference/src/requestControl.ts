/**
 * The deadline/abort control of one engine request: the caller's `AbortSignal` and the request's
 * `GenerationOptions.deadlineMs` combined into one signal that every wait of the request listens
 * to, and the one place that knows which of them stopped it. Every engine (local, remote,
 * scripted) uses it, so a caller's abort always ends the stream with `finishReason: "aborted"` and
 * a deadline always fails it with the same `EngineError("deadline")`, whichever engine runs.
 *
 * It knows nothing about engines, and its timer functions can be swapped, so that its rules (the
 * first cause wins; nothing is left behind when the request ends) are tested on their own.
 */
import { EngineError } from "./errors.js";

/**
 * Why a request stopped before it finished: the caller aborted, its deadline passed, or the engine
 * closed it itself (it was disposed, or the consumer stopped reading).
 */
export type StopCause = "aborted" | "deadline" | "closed";

/** The rejection of `RequestControl.race` when the request stops during the wait. */
export class RequestStopped extends Error {
  override readonly name = "RequestStopped";
}

/** The timer functions the deadline uses. Defaults to the global `setTimeout` and `clearTimeout`. */
export interface DeadlineTimers {
  setTimeout(callback: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

const GLOBAL_TIMERS: DeadlineTimers = {
  setTimeout: (callback, ms) => setTimeout(callback, ms),
  clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout),
};

/** The error of a request that ran past its deadline: one message, whichever engine ran it. */
export function deadlineError(deadlineMs: number): EngineError {
  return new EngineError(
    "deadline",
    `the request ran past its deadline of ${deadlineMs} ms; raise the deadline or ask for less output`,
  );
}

export class RequestControl {
  private readonly controller = new AbortController();
  private stopCause: StopCause | undefined;
  private timer: unknown;
  private timerSet = false;
  private readonly onCallerAbort = (): void => this.stop("aborted", this.caller?.reason);

  /**
   * Starts the deadline's timer now: `deadlineMs` counts from the call. Call `dispose()` (or
   * `close()`) when the request ends, whatever way it ends, so that no timer or listener outlives it.
   */
  constructor(
    private readonly caller: AbortSignal | undefined,
    private readonly deadlineMs?: number,
    private readonly timers: DeadlineTimers = GLOBAL_TIMERS,
  ) {
    if (caller?.aborted) {
      this.stop("aborted", caller.reason);
      return;
    }
    caller?.addEventListener("abort", this.onCallerAbort, { once: true });
    if (deadlineMs !== undefined) {
      this.timerSet = true;
      this.timer = timers.setTimeout(() => {
        this.timerSet = false;
        this.stop("deadline", deadlineError(deadlineMs));
      }, deadlineMs);
    }
  }

  /** Fires when the request stops, for whichever cause; its `reason` is the caller's or the deadline error. */
  get signal(): AbortSignal {
    return this.controller.signal;
  }

  get stopped(): boolean {
    return this.stopCause !== undefined;
  }

  /** What stopped the request first; undefined while it runs. A later cause never replaces it. */
  get cause(): StopCause | undefined {
    return this.stopCause;
  }

  /** The engine ends the request itself (disposal, a consumer that stopped reading). */
  close(reason?: unknown): void {
    this.stop("closed", reason);
  }

  /** Throws the deadline error when the deadline is what stopped the request. */
  throwIfPastDeadline(): void {
    if (this.stopCause === "deadline") throw deadlineError(this.deadlineMs as number);
  }

  /** Resolves with `promise`, or rejects with `RequestStopped` as soon as the request stops. */
  race<T>(promise: Promise<T>): Promise<T> {
    const signal = this.controller.signal;
    if (signal.aborted) return Promise.reject(new RequestStopped(this.stopCause));
    return new Promise<T>((resolve, reject) => {
      const onStop = (): void => reject(new RequestStopped(this.stopCause));
      signal.addEventListener("abort", onStop, { once: true });
      promise.then(
        (value) => {
          signal.removeEventListener("abort", onStop);
          resolve(value);
        },
        (error: unknown) => {
          signal.removeEventListener("abort", onStop);
          reject(error instanceof Error ? error : new Error(String(error)));
        },
      );
    });
  }

  /** Clears the deadline's timer and stops listening to the caller's signal; the cause stays readable. */
  dispose(): void {
    if (this.timerSet) this.timers.clearTimeout(this.timer);
    this.timerSet = false;
    this.timer = undefined;
    this.caller?.removeEventListener("abort", this.onCallerAbort);
  }

  private stop(cause: StopCause, reason: unknown): void {
    if (this.stopCause !== undefined) return;
    this.stopCause = cause;
    // Nothing else can stop it now: the timer and the listener would only hold the request alive.
    this.dispose();
    this.controller.abort(reason);
  }
}
