/**
 * The scheduling policy of the local engine, kept free of node-llama-cpp so it can be tested on its
 * own: which waiting request gets which sequence, who is preempted, who must pause, who is refused.
 *
 * The engine owns one context with N sequences ("slots"). The policy:
 * - a free slot goes to the waiting request with the highest priority (`interactive` > `chat` >
 *   `background`), first come first served within a priority;
 * - among free slots, a request takes the one whose cached tokens share the longest prefix with its
 *   prompt (KV reuse across turns and across agents), when that prefix is at least `minSharedTokens`
 *   long; otherwise, and among ties, the least recently used slot, so that a prompt sharing only a
 *   chat-template header never evicts another conversation's cache;
 * - a slot whose request has stopped but whose last native step still runs ("draining") is not
 *   free yet; when it shares `minSharedTokens` more with the most urgent request's prompt than any
 *   free slot does, that request waits for it (the step ends within one decode) instead of feeding
 *   its whole prompt to a cold one. This is the completion as you type: each keystroke cancels the
 *   request before it, whose step is still running when the next one arrives;
 * - when no slot is free, a waiting request preempts the running request of the lowest priority below
 *   its own (the newest such one); the engine suspends it at its next token boundary and requeues it
 *   with everything it has generated so far, so it resumes where it stopped;
 * - while an interactive request runs, lower-priority requests pause at their next chunk or token
 *   boundary, so an inline edit never shares compute with agents working in the background;
 * - at most `maxQueued` requests wait; past that a new request is refused with a "busy" error, unless
 *   it outranks a waiting one, which is then refused in its place.
 */
import type { Priority } from "../engine.js";

const RANK: Record<Priority, number> = { interactive: 2, chat: 1, background: 0 };

/** Higher is more urgent. */
export function priorityRank(priority: Priority): number {
  return RANK[priority];
}

/** Length of the common prefix of two token arrays. */
export function commonPrefixLength(a: readonly number[], b: readonly number[]): number {
  const n = Math.min(a.length, b.length);
  let i = 0;
  while (i < n && a[i] === b[i]) i++;
  return i;
}

export interface SchedulerJob {
  readonly priority: Priority;
  /** Tokens the request needs in its sequence before it generates (prompt, plus output when resumed). */
  tokens: readonly number[];
}

export interface SchedulerOptions {
  /** Number of sequences in the context. */
  slots: number;
  /** Most requests that may wait for a sequence at once. */
  maxQueued: number;
  /** Whether a waiting request may suspend a running one of lower priority. */
  preempt: boolean;
  /** Shortest shared prefix worth choosing a slot for. Defaults to 32 tokens. */
  minSharedTokens?: number;
}

export interface Assignment<J> {
  job: J;
  slot: number;
  /** Tokens at the start of the prompt that the slot already holds. */
  sharedPrefix: number;
}

interface Slot<J> {
  cached: readonly number[];
  job: J | undefined;
  lastUsed: number;
  /** Set once the running job was asked to give the slot up, so it is asked only once. */
  preempting: boolean;
  /** Its job has stopped; the slot is released when its native work ends (see `draining`). */
  draining: boolean;
}

interface Waiting<J> {
  job: J;
  order: number;
  /** A preempted job coming back: it has streamed output already, so it is never refused. */
  resumed: boolean;
}

export class SchedulerBusyError extends Error {
  override readonly name = "SchedulerBusyError";
}

export class Scheduler<J extends SchedulerJob> {
  private readonly slots: Slot<J>[];
  private waiting: Waiting<J>[] = [];
  private clock = 0;

  constructor(private readonly options: SchedulerOptions) {
    if (!Number.isInteger(options.slots) || options.slots < 1) throw new RangeError("slots must be a positive integer");
    this.slots = Array.from({ length: options.slots }, () => ({
      cached: [],
      job: undefined,
      lastUsed: 0,
      preempting: false,
      draining: false,
    }));
  }

  get queued(): number {
    return this.waiting.length;
  }

  get running(): number {
    return this.slots.filter((s) => s.job !== undefined).length;
  }

  /** The tokens a slot holds in its KV cache, as last reported by `release`. */
  cachedTokens(slot: number): readonly number[] {
    return this.slotAt(slot).cached;
  }

  /**
   * Adds a request to the queue. `resumed` requests (preempted ones coming back) are always
   * admitted and keep their place by `order`. Returns the jobs that were displaced to make room;
   * the caller refuses them with a busy error. Throws `SchedulerBusyError` when the job itself is
   * refused.
   */
  enqueue(job: J, resumedOrder?: number): J[] {
    const order = resumedOrder ?? ++this.clock;
    const displaced: J[] = [];
    if (resumedOrder === undefined && this.waiting.length >= this.options.maxQueued) {
      const victim = this.lowestWaiting();
      if (victim === undefined || priorityRank(victim.job.priority) >= priorityRank(job.priority)) {
        throw new SchedulerBusyError(
          `${this.waiting.length} requests are already waiting for the model (the limit is ${this.options.maxQueued})`,
        );
      }
      this.waiting = this.waiting.filter((w) => w !== victim);
      displaced.push(victim.job);
    }
    this.waiting.push({ job, order, resumed: resumedOrder !== undefined });
    return displaced;
  }

  /** The arrival order of a waiting job, to requeue it later in the same place. */
  orderOf(job: J): number | undefined {
    return this.waiting.find((w) => w.job === job)?.order;
  }

  /** Removes a waiting job (aborted or past its deadline). Returns whether it was waiting. */
  withdraw(job: J): boolean {
    const before = this.waiting.length;
    this.waiting = this.waiting.filter((w) => w.job !== job);
    return this.waiting.length !== before;
  }

  /**
   * Hands free slots to waiting jobs by priority and prefix affinity. The caller starts each
   * returned job on its slot.
   */
  assign(): Assignment<J>[] {
    const out: Assignment<J>[] = [];
    for (;;) {
      const free = this.freeSlots();
      const next = this.highestWaiting();
      if (free.length === 0 || next === undefined) return out;
      const minShared = this.options.minSharedTokens ?? 32;
      let best = free[0] as number;
      let bestScore = -1;
      for (const index of free) {
        const slot = this.slotAt(index);
        const shared = commonPrefixLength(slot.cached, next.job.tokens);
        const score = shared >= minShared ? shared : 0;
        if (score > bestScore || (score === bestScore && slot.lastUsed < this.slotAt(best).lastUsed)) {
          best = index;
          bestScore = score;
        }
      }
      const bestShared = commonPrefixLength(this.slotAt(best).cached, next.job.tokens);
      if (this.drainingShare(next.job.tokens) >= bestShared + minShared) return out;
      this.waiting = this.waiting.filter((w) => w !== next);
      const slot = this.slotAt(best);
      slot.job = next.job;
      slot.lastUsed = ++this.clock;
      slot.preempting = false;
      out.push({ job: next.job, slot: best, sharedPrefix: bestShared });
    }
  }

  /**
   * Running jobs that should give their slot up for a more urgent waiting one. Each running job is
   * named at most once; it calls `release` when it has stopped, and `enqueue` to come back.
   */
  preemptions(): J[] {
    if (!this.options.preempt || this.freeSlots().length > 0) return [];
    const out: J[] = [];
    // Slots already being given up count as free for the waiting jobs they were freed for.
    let pending = this.slots.filter((s) => s.preempting).length;
    const urgent = [...this.waiting].sort(byUrgency);
    for (const waiting of urgent) {
      if (pending > 0) {
        pending--;
        continue;
      }
      const victim = this.lowestRunningBelow(priorityRank(waiting.job.priority));
      if (victim === undefined) break;
      victim.preempting = true;
      out.push(victim.job as J);
    }
    return out;
  }

  /**
   * Whether a running job should pause before feeding its next tokens: true while a job of
   * priority `interactive` runs and this one is not interactive.
   */
  shouldYield(job: J): boolean {
    if (job.priority === "interactive") return false;
    return this.slots.some((s) => s.job !== undefined && s.job !== job && s.job.priority === "interactive");
  }

  /**
   * The slot's job has stopped, but native work on its sequence still runs; `cached` is what the
   * sequence holds now. `release` follows when the work ends.
   */
  draining(slot: number, cached: readonly number[]): void {
    const s = this.slotAt(slot);
    s.draining = true;
    s.cached = cached;
  }

  /** Frees a slot; `cached` is what its sequence now holds in the KV cache. */
  release(slot: number, cached: readonly number[]): void {
    const s = this.slotAt(slot);
    s.job = undefined;
    s.cached = cached;
    s.preempting = false;
    s.draining = false;
    s.lastUsed = ++this.clock;
  }

  /** The longest prefix of `tokens` a draining slot holds. */
  private drainingShare(tokens: readonly number[]): number {
    let most = 0;
    for (const slot of this.slots) if (slot.draining) most = Math.max(most, commonPrefixLength(slot.cached, tokens));
    return most;
  }

  private slotAt(index: number): Slot<J> {
    const slot = this.slots[index];
    if (slot === undefined) throw new RangeError(`no slot ${index}`);
    return slot;
  }

  private freeSlots(): number[] {
    const out: number[] = [];
    this.slots.forEach((s, i) => {
      if (s.job === undefined) out.push(i);
    });
    return out;
  }

  private highestWaiting(): Waiting<J> | undefined {
    return [...this.waiting].sort(byUrgency)[0];
  }

  /** The waiting job that is refused first when the queue is full: lowest priority, newest, not resumed. */
  private lowestWaiting(): Waiting<J> | undefined {
    return this.waiting
      .filter((w) => !w.resumed)
      .sort(byUrgency)
      .at(-1);
  }

  private lowestRunningBelow(rank: number): Slot<J> | undefined {
    let victim: Slot<J> | undefined;
    for (const slot of this.slots) {
      if (slot.job === undefined || slot.preempting) continue;
      const r = priorityRank(slot.job.priority);
      if (r >= rank) continue;
      if (victim === undefined) {
        victim = slot;
        continue;
      }
      const vr = priorityRank((victim.job as J).priority);
      // The lowest priority first; among equals the one that started last loses the least work.
      if (r < vr || (r === vr && slot.lastUsed > victim.lastUsed)) victim = slot;
    }
    return victim;
  }
}

function byUrgency<J extends SchedulerJob>(a: Waiting<J>, b: Waiting<J>): number {
  return priorityRank(b.job.priority) - priorityRank(a.job.priority) || a.order - b.order;
}
