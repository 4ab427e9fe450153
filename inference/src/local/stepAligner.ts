/**
 * Lines up the decode steps of the sequences that are generating, so that node-llama-cpp puts one
 * step of each into the same `llama_decode` batch.
 *
 * Why: node-llama-cpp batches whatever is queued when its dispatch runs (the next event-loop turn,
 * or at once when a batch has just finished). After a batch, the sequences sample their tokens
 * natively, one after the other, and come back at slightly different times; the first ones back
 * start the next batch without the last one. With four sequences, 3.21.1 decoded about 40 of 45
 * batches three wide and left the fourth sequence to a batch of its own. Holding each sequence's
 * next step until every generating sequence is ready gives full batches (31 of 31 four wide in the
 * same test), which is what makes several agents on one model cheaper than one after another.
 *
 * Waiting costs nothing while another member's step is still decoding: the context decodes one
 * batch at a time, so a step issued now would only queue behind that batch. A member that is
 * neither decoding nor ready (its consumer is slow, say) is waited for `graceMs` at most.
 *
 * Whether the wait pays depends on the machine: where a wider batch costs about as much per token
 * as single steps (a 2-vCPU EPYC), the wait for the last sequence is pure loss. So by default the
 * aligner lines steps up or not as `alignmentPolicy.ts` measures to be cheaper, per number of
 * generating sequences; `true` and `false` force one mode (to measure what each costs).
 */
import { AlignmentPolicy, type AlignmentDecisions } from "./alignmentPolicy.js";

type MemberState = "working" | "ready" | "decoding";

/** One generating sequence's place in the line-up. */
export interface AlignedMember {
  /** Resolves when this member's next step may be issued. */
  ready(): Promise<void>;
  /** The step issued after `ready()` has returned. */
  stepped(): void;
  /** No more steps for now (finished, paused, aborted). The next `ready()` rejoins. */
  leave(): void;
}

/** Counts of released groups, for status and tests. */
export interface AlignmentStats {
  /** Groups of steps released together. */
  groups: number;
  /** Steps released, summed over groups. */
  steps: number;
  /** Groups released by the grace timer rather than by every member being ready. */
  timedOut: number;
}

/** Lines steps up always (`true`), never (`false`), or as measured to be cheaper (`"measured"`). */
export type AlignChoice = boolean | "measured";

/** What the aligner does and, when measuring, what it found; for status and the benchmark. */
export interface AlignmentState {
  choice: AlignChoice;
  /** Whether steps are lined up now, at the current number of generating sequences (at 4 when none). */
  aligning: boolean;
  /** The measured policy's windows, explorations and switches; absent when a mode is forced. */
  decisions?: AlignmentDecisions;
}

/** The width `AlignmentState.aligning` reports while nothing generates: the engine's usual load. */
const IDLE_REPORT_WIDTH = 4;

export class StepAligner {
  private readonly states = new Map<symbol, MemberState>();
  private readonly waiting = new Map<symbol, () => void>();
  private timer: NodeJS.Timeout | undefined;
  private readonly counts: AlignmentStats = { groups: 0, steps: 0, timedOut: 0 };
  private readonly policy: AlignmentPolicy | undefined;
  /** A mode forced for now over `choice` (see `force`). */
  private forced: boolean | undefined;

  /** `choice: false` releases every step at once, each as a group of its own. Defaults to measured. */
  constructor(
    private readonly graceMs = 2,
    private readonly choice: AlignChoice = "measured",
  ) {
    if (choice === "measured") this.policy = new AlignmentPolicy();
  }

  /**
   * Forces a mode for now (`true` aligned, `false` unaligned), or goes back to the constructor's
   * choice (`undefined`). For benchmarks: the fixed modes are compared with the measured one on
   * the same engine, because two engine instances of one model differ by up to 15% on a shared
   * 2-vCPU VM, more than the gap being measured. A measured policy learns nothing while forced.
   */
  force(mode: boolean | undefined): void {
    this.forced = mode;
    // A window open across the change would mix the modes.
    this.policy?.membersChanged();
    this.check();
  }

  get stats(): AlignmentStats {
    return { ...this.counts };
  }

  get state(): AlignmentState {
    const width = this.states.size > 0 ? this.states.size : IDLE_REPORT_WIDTH;
    const state: AlignmentState = { choice: this.choice, aligning: this.aligning() };
    if (this.policy !== undefined) {
      if (this.forced === undefined) state.aligning = this.policy.current(width) === "aligned";
      state.decisions = this.policy.decisions;
    }
    return state;
  }

  /** How many sequences are generating right now. */
  get members(): number {
    return this.states.size;
  }

  join(): AlignedMember {
    const id = Symbol("member");
    this.states.set(id, "working");
    this.policy?.membersChanged();
    return {
      ready: () =>
        new Promise<void>((resolve) => {
          if (!this.states.has(id)) this.policy?.membersChanged();
          this.states.set(id, "ready");
          this.waiting.set(id, resolve);
          this.check();
        }),
      stepped: () => {
        if (this.states.get(id) === "decoding") this.states.set(id, "working");
        this.check();
      },
      leave: () => {
        const resolve = this.waiting.get(id);
        this.waiting.delete(id);
        if (this.states.delete(id)) this.policy?.membersChanged();
        // A member that leaves while waiting (its request was aborted) must not hang.
        resolve?.();
        this.check();
      },
    };
  }

  private check(): void {
    if (this.waiting.size === 0) return this.clearTimer();
    if (!this.aligning()) {
      // One group per step: the stats then say what an unaligned engine got from this class.
      this.clearTimer();
      for (const id of [...this.waiting.keys()]) this.releaseOne(id);
      return;
    }
    let decoding = false;
    let working = false;
    for (const state of this.states.values()) {
      if (state === "decoding") decoding = true;
      else if (state === "working") working = true;
    }
    if (!decoding && !working) return this.release(false);
    // Someone's step is still in the native batch: they will be back right after it, and a step
    // issued now would wait for that batch anyway.
    if (decoding) return this.clearTimer();
    this.timer ??= setTimeout(() => {
      this.timer = undefined;
      this.release(true);
    }, this.graceMs);
  }

  private release(timedOut: boolean): void {
    this.clearTimer();
    if (this.waiting.size === 0) return;
    const group = [...this.waiting];
    this.waiting.clear();
    this.counts.groups++;
    this.counts.steps += group.length;
    if (timedOut) this.counts.timedOut++;
    if (this.forced === undefined) this.policy?.released(group.length, this.states.size, performance.now());
    for (const [id, resolve] of group) {
      this.states.set(id, "decoding");
      resolve();
    }
  }

  private releaseOne(id: symbol): void {
    const resolve = this.waiting.get(id);
    this.waiting.delete(id);
    this.counts.groups++;
    this.counts.steps++;
    if (this.forced === undefined) this.policy?.released(1, this.states.size, performance.now());
    this.states.set(id, "decoding");
    resolve?.();
  }

  /** Whether steps released now are lined up. */
  private aligning(): boolean {
    if (this.forced !== undefined) return this.forced;
    if (this.policy !== undefined) return this.policy.shouldAlign(this.states.size);
    return this.choice !== false;
  }

  private clearTimer(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
  }
}
