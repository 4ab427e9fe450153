/**
 * Handing a task from one workflow database to another (`bora tasks handoff`: a developer's host to
 * the team's). The engine's records cannot move between databases, so the task travels as its
 * input plus the operations it recorded (step outputs and received messages, in order), and the
 * host that continues it answers those operations from the carried record before it runs anything
 * live. The workflow takes the same path it took before (the same outputs give the same decisions)
 * and continues from the last recorded step: a conversation goes on from its last recorded turn.
 *
 * Local effects do not travel: the worktree is rebuilt from the work branch the handoff pushed
 * (`teamRepo.ts`), as for a worker that takes over a task made elsewhere.
 */
import type { DurableCtx } from "./durable.js";

/** One operation a task recorded: a step's output, or a message it received (`null`: the wait timed out). */
export interface RecordedOperation {
  kind: "step" | "recv";
  /** The step's name; for a receive, the engine's own name for it. */
  name: string;
  output: unknown;
}

/** What a handed-off task carries in its input. */
export interface HandoffRecord {
  /** The host (executor id) that ran the task until the handoff. */
  from: string;
  operations: RecordedOperation[];
}

/** An operation as the engine lists it: its name, its output, the error it ended with. */
export interface ListedOperation {
  name: string;
  output: unknown;
  error: unknown;
}

/**
 * The operations worth carrying, in order: the workflow's own steps and its receives; the engine's
 * bookkeeping (events, the timers of receives) is left out, since the continuing host records its
 * own. The record stops before the first failed step: that step runs again, live, where the task
 * continues (a handoff of a failed task retries it there).
 */
export function operationsToCarry(
  listed: readonly ListedOperation[],
  engine: { recvName: string; ownPrefix: string },
): RecordedOperation[] {
  const carried: RecordedOperation[] = [];
  for (const op of listed) {
    if (op.error !== null && op.error !== undefined) break;
    if (op.name === engine.recvName) carried.push({ kind: "recv", name: op.name, output: op.output ?? null });
    else if (!op.name.startsWith(engine.ownPrefix)) carried.push({ kind: "step", name: op.name, output: op.output });
  }
  return carried;
}

/** The name under which a carried receive is recorded again, as a step, by the continuing host. */
export function carriedRecvStep(topic: string): string {
  return `handoff.recv.${topic}`;
}

/**
 * `ctx`, answering the carried operations in order before anything runs live. Each answer is also
 * recorded by `ctx` (as a step that returns it), so a crash of the continuing host replays its own
 * record. A step whose name differs from the record's next one means the record came from other
 * code: the task stops with that said, rather than taking a path it never took.
 */
export function replayingCtx(ctx: DurableCtx, record: readonly RecordedOperation[]): DurableCtx {
  let next = 0;
  const take = (kind: RecordedOperation["kind"], name: string): RecordedOperation | undefined => {
    const op = record[next];
    if (op === undefined) return undefined;
    if (op.kind !== kind || (kind === "step" && op.name !== name)) {
      throw new Error(
        `the handed-off record does not match this task's steps at operation ${next + 1}: it holds ${op.kind} ${op.name}, the task asked for ${kind} ${name}`,
      );
    }
    next++;
    return op;
  };
  return {
    workflowId: ctx.workflowId,
    async step<T>(name: string, fn: () => Promise<T>, options?: Parameters<DurableCtx["step"]>[2]): Promise<T> {
      const op = take("step", name);
      return op === undefined ? ctx.step(name, fn, options) : ctx.step(name, () => Promise.resolve(op.output as T));
    },
    async recv<T>(topic: string, timeoutMs: number): Promise<T | null> {
      const op = take("recv", topic);
      return op === undefined
        ? ctx.recv<T>(topic, timeoutMs)
        : ctx.step(carriedRecvStep(topic), () => Promise.resolve(op.output as T | null));
    },
    setStatus: (status) => ctx.setStatus(status),
    ...(ctx.interrupted && { interrupted: ctx.interrupted }),
  };
}
