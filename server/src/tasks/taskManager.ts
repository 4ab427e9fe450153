/**
 * The host's tasks: each one an agent run with an id, a transcript as rows, a status, and when it
 * ends an outcome with the files it changed against its checkpoint. Several run at once (the
 * engine's scheduler serves them at background priority, after inline edits and completions).
 * Independent of LSP: the client is a `TaskClient` (updates out, approvals and questions in), so
 * the same manager serves the editor, a headless client and, later, the durable task kinds.
 */
import { randomBytes } from "node:crypto";
import path from "node:path";
import { pathToFileURL } from "node:url";
import type { Engine } from "@bora/inference";
import type {
  AgentSettings,
  ApprovalDecision,
  AskUserParams,
  RequestApprovalParams,
  TaskChange,
  ForegroundTaskKind,
  TaskOutcome,
  TaskStatus,
  TaskUpdatedParams,
} from "@bora/protocol";
import { runAgent } from "../agent/loop.js";
import type { ApprovalAnswer, ApprovalRequest, Questions, UserQuestion } from "../agent/questions.js";
import type { AgentEvent } from "../agent/runEvents.js";
import type { AgentRunResult } from "../agent/runResult.js";
import type { WriteGuard } from "../agent/tools/types.js";
import type { Logger } from "../host/logger.js";
import { CheckpointStore, type ChangedFile, type Checkpoint } from "../workspace/checkpoints.js";
import type { Spawner } from "../workspace/spawner.js";
import type { ApprovalMemory } from "./approvalMemory.js";
import { taskPolicy, taskText, taskTitle, withHint, type TaskContext } from "./taskPrompt.js";
import { TaskTranscript } from "./taskTranscript.js";

/**
 * How often a streaming task is reported at most. Ten updates a second reads as live text; more
 * would spend the client's time re-rendering, and a status change is sent at once anyway.
 */
export const UPDATE_INTERVAL_MS = 100;

/** What the manager needs of the client that started the tasks. */
export interface TaskClient {
  update(params: TaskUpdatedParams): void;
  /** Whether the client can answer approvals and questions (it said so at `initialize`). */
  canAsk(): boolean;
  /** Undefined when the client failed to answer. */
  requestApproval(params: RequestApprovalParams, signal: AbortSignal): Promise<ApprovalDecision | undefined>;
  /** Undefined when dismissed or unanswered. */
  askUser(params: AskUserParams, signal: AbortSignal): Promise<string | undefined>;
}

export interface TaskManagerDeps {
  client: TaskClient;
  spawner: Spawner;
  stateDir: string;
  approvals: ApprovalMemory;
  settings(): AgentSettings;
  /** Refuses writes to files open with unsaved changes. */
  writeGuard: WriteGuard;
  logger: Logger;
  /** Secrets the editor handed the host, redacted from transcripts. */
  secrets?(): readonly string[];
}

export interface TaskStart {
  kind: ForegroundTaskKind;
  instruction: string;
  /** The task's root: a real absolute path (a workspace folder). */
  root: string;
  context: TaskContext;
  engine: Engine;
}

/** Thrown for a request about a task that cannot be served; the LSP layer words it as `InvalidParams`. */
export class TaskRequestError extends Error {
  override readonly name = "TaskRequestError";
}

class Task {
  status: TaskStatus = "running";
  seq = 0;
  readonly transcript = new TaskTranscript();
  readonly controller = new AbortController();
  readonly started = performance.now();
  outcome: TaskOutcome | undefined;
  checkpoint: Checkpoint | undefined;
  changes: ChangedFile[] = [];
  done!: Promise<void>;
  waiting = 0;
  timer: NodeJS.Timeout | undefined;

  constructor(
    readonly id: string,
    readonly kind: ForegroundTaskKind,
    readonly title: string,
    readonly root: string,
    readonly transcriptFile: string,
  ) {}
}

function newTaskId(): string {
  return `${new Date().toISOString().replace(/[-:]/g, "").replace(/\..*/, "")}-${randomBytes(3).toString("hex")}`;
}

export class TaskManager {
  private readonly tasks = new Map<string, Task>();

  constructor(private readonly deps: TaskManagerDeps) {}

  /** Starts a task and returns its id; it runs on in the background. */
  start(start: TaskStart): string {
    const id = newTaskId();
    const title = taskTitle(start.kind, start.instruction, start.context);
    const task = new Task(id, start.kind, title, start.root, path.join(this.deps.stateDir, "runs", `${id}.jsonl`));
    this.tasks.set(id, task);
    this.flush(task);
    task.done = this.run(task, start).catch((error: unknown) => {
      this.deps.logger.error(`task ${id} failed`, error);
    });
    return id;
  }

  /** Whether this manager runs or ran the task `id` (a durable task is someone else's). */
  has(id: string): boolean {
    return this.tasks.has(id);
  }

  /** Stops a task and waits until it has ended. */
  async cancel(id: string): Promise<void> {
    const task = this.get(id);
    task.controller.abort();
    await task.done;
  }

  /** A changed file's text at the task's checkpoint; null when the task created it. */
  async fileBase(id: string, relativePath: string): Promise<string | null> {
    const task = this.finished(id);
    const change = task.changes.find((c) => c.path === relativePath);
    if (change === undefined) throw new TaskRequestError(`task ${id} did not change ${relativePath}`);
    const store = await this.store(task);
    return (await store.textAt(task.checkpoint!, relativePath)) ?? null;
  }

  /** Puts changed files back as they were at the checkpoint. */
  async undo(id: string, paths?: readonly string[]): Promise<{ restored: TaskChange[]; remaining: TaskChange[] }> {
    const task = this.finished(id);
    const unknown = (paths ?? []).filter((p) => !task.changes.some((c) => c.path === p));
    if (unknown.length > 0) throw new TaskRequestError(`task ${id} did not change ${unknown.join(", ")}`);
    const store = await this.store(task);
    const restored = await store.restore(task.checkpoint!, paths ?? task.changes.map((c) => c.path));
    const remaining = await store.changedSince(task.checkpoint!);
    const stillChanged = remaining.filter((c) => task.changes.some((t) => t.path === c.path));
    return {
      restored: restored.map((c) => this.change(task, c)),
      remaining: stillChanged.map((c) => this.change(task, c)),
    };
  }

  /** Every task's latest state, whole (for a client that connects late). */
  snapshots(): TaskUpdatedParams[] {
    return [...this.tasks.values()].map((task) => this.params(task, task.transcript.all()));
  }

  /** Cancels every running task and waits for them (host shutdown). */
  async dispose(): Promise<void> {
    for (const task of this.tasks.values()) task.controller.abort();
    await Promise.all([...this.tasks.values()].map((t) => t.done));
  }

  private get(id: string): Task {
    const task = this.tasks.get(id);
    if (task === undefined)
      throw new TaskRequestError(`no task ${id} on this host (tasks are kept while the host runs)`);
    return task;
  }

  private finished(id: string): Task {
    const task = this.get(id);
    if (task.outcome === undefined) throw new TaskRequestError(`task ${id} is still running; cancel it or wait`);
    if (task.checkpoint === undefined) throw new TaskRequestError(`task ${id} changed nothing (it has no checkpoint)`);
    return task;
  }

  private store(task: Task): Promise<CheckpointStore> {
    return CheckpointStore.open(task.root, { spawner: this.deps.spawner, stateDir: this.deps.stateDir });
  }

  private change(task: Task, c: ChangedFile): TaskChange {
    return { ...c, uri: pathToFileURL(path.join(task.root, c.path)).href };
  }

  private async run(task: Task, start: TaskStart): Promise<void> {
    const settings = this.deps.settings();
    let result: AgentRunResult | undefined;
    try {
      result = await runAgent({
        engine: start.engine,
        events: { emit: (_runId, event) => this.onEvent(task, event) },
        questions: this.questions(task),
        root: task.root,
        task: taskText(start.kind, start.instruction, start.context),
        runId: task.id,
        budgets: {
          maxTurns: settings.maxTurns,
          maxWallMs: settings.maxMinutes * 60_000,
          maxTokensPerTurn: settings.maxTokensPerTurn,
        },
        policy: taskPolicy(start.kind),
        spawner: this.deps.spawner,
        sandbox: {
          allowNetwork: settings.allowNetwork,
          allowUnsandboxed: settings.allowUnsandboxed,
          hostEnv: process.env,
        },
        secrets: this.deps.secrets?.(),
        transcriptFile: task.transcriptFile,
        stateDir: this.deps.stateDir,
        writeGuard: this.deps.writeGuard,
        signal: task.controller.signal,
      });
    } catch (error) {
      task.transcript.notice(`The task could not run: ${error instanceof Error ? error.message : String(error)}`);
    }
    task.checkpoint = result?.checkpoint;
    task.changes = result?.filesChanged ?? [];
    task.status = task.controller.signal.aborted ? "cancelled" : result?.ok === true ? "completed" : "failed";
    task.outcome = {
      ok: result?.ok === true,
      runStatus: result?.status ?? "failed",
      reason: withHint(result?.reason ?? "the task could not start", result?.status, settings),
      answer: result?.answer ?? "",
      summary: result?.summary ?? "",
      changes: task.changes.map((c) => this.change(task, c)),
      ...(result?.checkpoint && { checkpoint: result.checkpoint.ref }),
    };
    this.flush(task);
  }

  private onEvent(task: Task, event: AgentEvent): void {
    task.transcript.onEvent(event);
    this.schedule(task);
  }

  /** Questions of this task: stored approvals first, then the client if it can answer, else declined. */
  private questions(task: Task): Questions {
    const { client, approvals } = this.deps;
    const waitFor = async <T>(work: () => Promise<T>): Promise<T> => {
      task.waiting++;
      this.setStatus(task, "waiting");
      try {
        return await work();
      } finally {
        if (--task.waiting === 0 && task.outcome === undefined) this.setStatus(task, "running");
      }
    };
    return {
      requestApproval: async (_runId, request: ApprovalRequest, signal): Promise<ApprovalAnswer> => {
        const { tool, summary, reason } = request;
        if (await approvals.has(task.root, tool, summary)) {
          task.transcript.approvalDecided(tool, summary, reason, true, "always");
          this.schedule(task);
          return { approved: true, note: "approved always for this workspace" };
        }
        if (!client.canAsk()) {
          task.transcript.approvalDecided(tool, summary, reason, false, "headless");
          this.schedule(task);
          return { approved: false, note: "nobody could be asked: the client does not answer approvals" };
        }
        const id = task.transcript.approvalAsked(tool, summary, reason);
        const decision = await waitFor(() =>
          client.requestApproval({ taskId: task.id, tool, summary, reason }, signal ?? task.controller.signal),
        );
        const allowed = decision === "once" || decision === "always";
        if (decision === "always") await approvals.remember(task.root, tool, summary);
        task.transcript.settleApproval(id, allowed, "user");
        this.schedule(task);
        return allowed;
      },
      askUser: async (_runId, question: UserQuestion, signal): Promise<string | undefined> => {
        if (!client.canAsk()) {
          task.transcript.settleQuestion(task.transcript.questionAsked(question.question, question.options), undefined);
          this.schedule(task);
          return undefined;
        }
        const id = task.transcript.questionAsked(question.question, question.options);
        const answer = await waitFor(() =>
          client.askUser(
            {
              taskId: task.id,
              question: question.question,
              ...(question.options && { options: [...question.options] }),
            },
            signal ?? task.controller.signal,
          ),
        );
        task.transcript.settleQuestion(id, answer);
        this.schedule(task);
        return answer;
      },
    };
  }

  private setStatus(task: Task, status: TaskStatus): void {
    if (task.status === status) return;
    task.status = status;
    this.flush(task);
  }

  /** Sends soon: at most one update per `UPDATE_INTERVAL_MS` while a task streams. */
  private schedule(task: Task): void {
    if (task.timer !== undefined) return;
    task.timer = setTimeout(() => this.flush(task), UPDATE_INTERVAL_MS);
  }

  private flush(task: Task): void {
    if (task.timer !== undefined) clearTimeout(task.timer);
    task.timer = undefined;
    try {
      this.deps.client.update(this.params(task, task.transcript.take()));
    } catch (error) {
      // A client that went away must not end the task.
      this.deps.logger.warn(`could not send the update of task ${task.id}: ${String(error)}`);
    }
  }

  private params(task: Task, rows: { from: number; items: TaskUpdatedParams["items"] }): TaskUpdatedParams {
    return {
      taskId: task.id,
      seq: ++task.seq,
      kind: task.kind,
      title: task.title,
      status: task.status,
      turn: task.transcript.turn,
      tokens: { ...task.transcript.tokens },
      elapsedMs: Math.round(performance.now() - task.started),
      root: pathToFileURL(task.root).href,
      transcript: task.transcriptFile,
      ...rows,
      ...(task.outcome && { outcome: task.outcome }),
    };
  }
}
