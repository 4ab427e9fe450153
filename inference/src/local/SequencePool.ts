/**
 * The sequence pool of the local engine: hands the context's sequences ("slots", by index) to
 * requests as `scheduler.ts` decides, and does the waiting that its policy implies: a request
 * waits for a slot, pauses while an interactive one runs, gives its slot up when it is preempted
 * and comes back in its old place. It also knows the native work still running on each slot (a
 * step whose request stopped waiting for it), so that a slot is handed on only once that work is
 * done, and the scheduler learns what the slot's KV cache holds for prefix reuse.
 *
 * It is separate from the scheduler because the scheduler is the policy (who gets what) and this
 * is its mechanics (promises, wake-ups, work in flight); and separate from the generation loop so
 * that the loop only asks for a slot and gives it back. It touches no native object: what a
 * slot's cache holds is read through `cachedTokens`.
 */
import type { Priority } from "../engine.js";
import { EngineError } from "../errors.js";
import { RequestStopped } from "../requestControl.js";
import { Scheduler, SchedulerBusyError, type SchedulerJob } from "./scheduler.js";

/** One request's place in the pool. */
export interface PoolJob extends SchedulerJob {
  readonly priority: Priority;
  tokens: readonly number[];
  /** Set when a more urgent request wants this job's slot; the job gives it up at its next boundary. */
  preemptRequested: boolean;
  /** Arrival order in the queue, kept when the job comes back after a preemption. */
  order?: number;
  /** Resolves the wait for a sequence. */
  grant?: (slot: number) => void;
  /** Wakes a job paused for an interactive one or waiting to be preempted. */
  wake?: () => void;
}

export interface SequencePoolOptions {
  /** Number of sequences. */
  slots: number;
  /** Most requests that may wait for a sequence at once. */
  maxQueued: number;
  /** Whether a waiting request may suspend a running one of lower priority. */
  preempt: boolean;
  /** The tokens a slot's sequence holds in its KV cache now. */
  cachedTokens(slot: number): readonly number[];
}

export class SequencePool {
  private readonly scheduler: Scheduler<PoolJob>;
  /** Per slot: the native work still running after its request gave up on it (an aborted chunk or step). */
  private readonly inflight: (Promise<unknown> | undefined)[];
  private readonly paused = new Set<PoolJob>();
  private isClosed = false;

  constructor(private readonly options: SequencePoolOptions) {
    this.scheduler = new Scheduler<PoolJob>(options);
    this.inflight = Array.from({ length: options.slots }, () => undefined);
  }

  get running(): number {
    return this.scheduler.running;
  }

  get queued(): number {
    return this.scheduler.queued;
  }

  /** The engine is shutting down: paused jobs are woken so that they can see it. */
  get closed(): boolean {
    return this.isClosed;
  }

  /**
   * Queues a new request. Throws `EngineError("busy")` when the queue is full; a waiting request
   * of lower priority may be refused in its place instead. Call `acquire` next, in the same turn:
   * a slot is handed over through it.
   */
  join(priority: Priority, tokens: readonly number[]): PoolJob {
    const job: PoolJob = { priority, tokens, preemptRequested: false };
    try {
      for (const displaced of this.scheduler.enqueue(job)) displaced.grant?.(-1);
    } catch (error) {
      if (error instanceof SchedulerBusyError) {
        throw new EngineError("busy", `the local model is busy: ${error.message}; try again shortly`);
      }
      throw error;
    }
    job.order = this.scheduler.orderOf(job);
    return job;
  }

  /**
   * Waits until the job holds a slot. Rejects with `RequestStopped` when `signal` fires first, and
   * with `EngineError("busy")` when a more urgent request took the job's place in the queue.
   */
  async acquire(job: PoolJob, signal: AbortSignal): Promise<number> {
    const slot = await new Promise<number>((resolve, reject) => {
      const onAbort = (): void => {
        if (this.scheduler.withdraw(job)) reject(new RequestStopped());
      };
      job.grant = (granted) => {
        signal.removeEventListener("abort", onAbort);
        job.grant = undefined;
        resolve(granted);
      };
      signal.addEventListener("abort", onAbort, { once: true });
      this.pump();
    });
    if (slot < 0) throw new EngineError("busy", "the local model is busy with more urgent requests; try again shortly");
    return slot;
  }

  /** Whether the job should pause now for an interactive request. */
  shouldYield(job: PoolJob): boolean {
    return this.scheduler.shouldYield(job);
  }

  /** Waits while an interactive request runs, unless the job is preempted, stopped or the pool closes. */
  async yieldWhileUrgent(job: PoolJob, signal: AbortSignal): Promise<void> {
    while (this.scheduler.shouldYield(job) && !job.preemptRequested && !signal.aborted && !this.isClosed) {
      this.paused.add(job);
      await new Promise<void>((resolve) => {
        const done = (): void => {
          signal.removeEventListener("abort", done);
          job.wake = undefined;
          resolve();
        };
        job.wake = done;
        signal.addEventListener("abort", done, { once: true });
      });
      this.paused.delete(job);
    }
  }

  /** Records native work running on a slot; it must finish before the slot is reused. */
  track(slot: number, work: Promise<unknown>): void {
    this.inflight[slot] = work;
  }

  /** The tracked work finished while its request waited for it. */
  untrack(slot: number): void {
    this.inflight[slot] = undefined;
  }

  /** Runs `next` once the work tracked on the slot is done (or at once), and tracks it in turn. */
  afterWork(slot: number, next: () => Promise<unknown>): void {
    const pending = this.inflight[slot];
    this.inflight[slot] = pending === undefined ? next() : pending.then(next, next);
  }

  /** Waits for the work tracked on the slot. */
  async settle(slot: number): Promise<void> {
    await this.inflight[slot];
    this.inflight[slot] = undefined;
  }

  /** Gives a preempted job's slot up and queues the job again in its old place. */
  requeue(slot: number, job: PoolJob): void {
    this.release(slot, job);
    this.scheduler.enqueue(job, job.order ?? 0);
  }

  /** Gives a slot back once any native work on it has finished, and hands it on. */
  release(slot: number, job: PoolJob): void {
    const done = (): void => {
      this.inflight[slot] = undefined;
      this.paused.delete(job);
      this.scheduler.release(slot, this.isClosed ? [] : this.options.cachedTokens(slot));
      this.pump();
    };
    const pending = this.inflight[slot];
    if (pending === undefined) return done();
    // A request that would reuse this slot's cache waits for it rather than starting cold.
    if (!this.isClosed) this.scheduler.draining(slot, this.options.cachedTokens(slot));
    void pending.then(done, done);
  }

  /** Takes a job that never got a slot out of the queue. */
  leave(job: PoolJob): void {
    if (this.scheduler.withdraw(job)) this.pump();
  }

  /** Wakes every paused job and waits for the native work still running on any slot. */
  async close(): Promise<void> {
    this.isClosed = true;
    for (const job of this.paused) job.wake?.();
    await Promise.allSettled(this.inflight.filter((p) => p !== undefined));
  }

  /** Starts queued requests on free sequences and asks lower-priority ones to make room. */
  private pump(): void {
    for (const assignment of this.scheduler.assign()) assignment.job.grant?.(assignment.slot);
    for (const victim of this.scheduler.preemptions()) {
      victim.preemptRequested = true;
      victim.wake?.();
    }
    for (const job of [...this.paused]) if (!this.scheduler.shouldYield(job)) job.wake?.();
  }
}
