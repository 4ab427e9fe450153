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
 */

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

export class StepAligner {
  private readonly states = new Map<symbol, MemberState>();
  private readonly waiting = new Map<symbol, () => void>();
  private timer: NodeJS.Timeout | undefined;
  private readonly counts: AlignmentStats = { groups: 0, steps: 0, timedOut: 0 };

  /** `enabled: false` releases every step at once, each as a group of its own. */
  constructor(
    private readonly graceMs = 2,
    private readonly enabled = true,
  ) {}

  get stats(): AlignmentStats {
    return { ...this.counts };
  }

  /** How many sequences are generating right now. */
  get members(): number {
    return this.states.size;
  }

  join(): AlignedMember {
    const id = Symbol("member");
    this.states.set(id, "working");
    return {
      ready: () =>
        new Promise<void>((resolve) => {
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
        this.states.delete(id);
        // A member that leaves while waiting (its request was aborted) must not hang.
        resolve?.();
        this.check();
      },
    };
  }

  private check(): void {
    if (this.waiting.size === 0) return this.clearTimer();
    if (!this.enabled) {
      // One group per step: the stats then say what an unaligned engine got from this class.
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
    this.states.set(id, "decoding");
    resolve?.();
  }

  private clearTimer(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
  }
}
