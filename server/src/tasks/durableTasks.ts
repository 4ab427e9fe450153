/**
 * The host's durable tasks (issue-to-PR): the service behind `bora/startIssueToPr`, `bora/listTasks`,
 * `bora/retryTask`, `bora/approve` and `bora/cancelTask` for durable ids. It opens the workflow host
 * (lock, database, DBOS) lazily, on the first request that needs it, so a host that never runs a
 * durable task never starts PostgreSQL; opening it also resumes the tasks this host left unfinished.
 * The workflow code is loaded only then, too (DBOS is big, and most hosts never need it).
 *
 * Status changes of the tasks running in this process reach the client as `bora/taskUpdated` (the
 * workflow's `onStatus`); the list reads the recorded status, which also covers tasks other
 * processes (the CLI, a team's workers) run.
 */
import { randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import { realpath } from "node:fs/promises";
import { defaultCheckCommand } from "../workflows/checks.js";
import path from "node:path";
import { fileURLToPath } from "node:url";
import type { Engine } from "@bora/inference";
import type {
  AgentSettings,
  ListTasksResult,
  ListedTask,
  StartIssueToPrParams,
  StartIssueToPrResult,
  CheckOutTaskResult,
  HandOffTaskResult,
  TaskItem,
  TaskUpdatedParams,
  WorkflowSettings,
} from "@bora/protocol";
import type { EngineSpec } from "../engines/engineSpec.js";
import type { Logger } from "../host/logger.js";
import { reportingHttpPolicy } from "../http/fetches.js";
import { ConfigError, integrationConfigFromEnv, type IntegrationConfig } from "../integrations/config.js";
import { canonicalWorkItemKey, detectWorkItemSource, WorkItemRefError } from "../integrations/workItemRefs.js";
import type { TaskStatusRecord } from "../workflows/durable.js";
import type { TaskSummary } from "../workflows/dbosWorkflows.js";
import type { BackgroundTaskInput, IssueToPrInput } from "../workflows/issueToPr.js";
import { createIssueToPrServices } from "../workflows/services.js";
import { issueTaskId, slugify } from "../workflows/taskIds.js";
import type { WorkflowClient } from "../workflows/team.js";
import type { WorkflowHost } from "../workflows/workflowHost.js";
import { currentBranch, repositoryRoot } from "../workflows/worktrees.js";
import type { Spawner } from "../workspace/spawner.js";
import {
  type DurableKind,
  durableStateOf,
  durableTaskUpdate,
  listedDurableTask,
  MAX_STATUS_ROWS,
  nextSeq,
  statusRow,
  type DurableTaskFacts,
} from "./durableTaskView.js";
import { TaskRequestError } from "./taskManager.js";

/** Extra agent turns with the checks' output while they fail: the CLI's default (`bora issue --fix-turns`). */
export const DEFAULT_FIX_TURNS = 5;
/** Tasks the list shows: a screenful of recent work; the CLI's `bora tasks list` shows as many. */
export const LIST_LIMIT = 50;
/**
 * How long a task resumed at open waits for the host's model: a local model takes seconds to load
 * after a host start, and a task that gave up would fail for nothing.
 */
export const ENGINE_WAIT_MS = 5 * 60_000;
/** How often the model is looked for meanwhile. */
const ENGINE_POLL_MS = 200;

/** What the service needs of the host's engines. */
export interface DurableEngines {
  /** The chat role's spec without its key, or undefined while none is configured. */
  chatSpec(): EngineSpec | undefined;
  /** The running engine of the chat role, or undefined while it loads. */
  forRole(role: "chat"): Promise<Engine | undefined>;
  /** Opens an engine for another spec; the caller disposes it. */
  openOther(spec: EngineSpec): Promise<Engine>;
}

export interface DurableTasksDeps {
  stateDir: string;
  /** The host's spawner: PostgreSQL, git and the checks end with the host. */
  spawner: Spawner;
  logger: Logger;
  env: NodeJS.ProcessEnv;
  engines: DurableEngines;
  /** The editor's `bora.workflows.*` settings (read when the workflow host opens). */
  workflowSettings(): WorkflowSettings;
  agentSettings(): AgentSettings;
  /** Sends a `bora/taskUpdated`. */
  update(params: TaskUpdatedParams): void;
  /**
   * The integrations as the editor configures them over the environment (read when a task starts
   * or runs). Defaults to the environment alone.
   */
  integrationConfig?(): IntegrationConfig;
  /**
   * The team's workflow database (the editor's `team.databaseUrl` secret), where **Hand Off to
   * Team** sends tasks and whose tasks the list shows. `BORA_TEAM_DATABASE_URL` fills in.
   */
  teamDatabaseUrl?(): string | undefined;
}

/**
 * How long a handoff waits for the task's run in this process to stop after the cancel: the step in
 * progress finishes first (a model turn, a tool call, the checks), and a test run takes minutes.
 */
export const HANDOFF_STOP_WAIT_MS = 5 * 60_000;

/** The workflow code and its host, loaded and opened on first use. */
interface Runtime {
  host: WorkflowHost;
  api: typeof import("../workflows/dbosWorkflows.js");
}

/** Whether two specs name the same model (keys aside: the recorded one never has a key). */
export function sameModel(a: EngineSpec, b: EngineSpec): boolean {
  const strip = (spec: EngineSpec): EngineSpec => {
    if (spec.kind !== "remote") return spec;
    const { apiKey: _key, ...rest } = spec;
    return rest;
  };
  return JSON.stringify(strip(a)) === JSON.stringify(strip(b));
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

export class DurableTasks {
  private runtime: Promise<Runtime> | undefined;
  private closed = false;
  /** Per task: the last `seq` sent, the status rows so far, what the view needs of its input. */
  private readonly seqs = new Map<string, number>();
  private readonly rows = new Map<string, TaskItem[]>();
  private readonly known = new Map<string, { kind: DurableKind; ref: string; repo: string; createdAt: number }>();
  /** Per task: how many live statuses were sent; a recorded state read before the latest of them is stale. */
  private readonly live = new Map<string, number>();
  /** Tasks whose end in this process is awaited (`follow`). */
  private readonly followed = new Set<string>();
  /** Tasks whose workflow runs in this process now: resolved when the run ends (its services are disposed). */
  private readonly runs = new Map<string, Promise<void>>();
  /** The team's database, opened on first use, for the URL it was opened with. */
  private team: { url: string; client: Promise<WorkflowClient> } | undefined;

  constructor(private readonly deps: DurableTasksDeps) {}

  /** Whether the workflow host is open (or opening): the database runs. */
  get opened(): boolean {
    return this.runtime !== undefined;
  }

  /**
   * Queues an issue-to-PR task for `params.ref` on the repository of `folder` (a path), or attaches
   * to the task that exists for the same item and repository.
   */
  async start(params: StartIssueToPrParams, folder: string, engine: EngineSpec): Promise<StartIssueToPrResult> {
    const input = await this.inputFor(params, folder, engine);
    const { api } = await this.open();
    this.known.set(input.taskId, { kind: "issueToPr", ref: input.ref, repo: input.repo, createdAt: Date.now() });
    const { attached } = await api.startIssueToPr(input);
    this.deps.logger.info(`durable task ${input.taskId} ${attached ? "attached" : "queued"} (${input.ref})`);
    await this.publishRecorded(input.taskId);
    this.follow(input.taskId, () => api.taskResult(input.taskId));
    return { taskId: input.taskId, attached };
  }

  /**
   * Queues a background task: the instruction on a branch of its own in a worktree of the folder's
   * repository, ending with the branch to review, or a PR when `openPr` asks.
   */
  async startBackground(instruction: string, openPr: boolean, folder: string, engine: EngineSpec): Promise<string> {
    let repo: string;
    let base: string;
    try {
      repo = await realpath(await repositoryRoot(folder, this.deps.spawner));
      base = await currentBranch(repo, this.deps.spawner);
    } catch (error) {
      throw new TaskRequestError(messageOf(error));
    }
    const check = await defaultCheckCommand(repo);
    const agent = this.deps.agentSettings();
    const input: BackgroundTaskInput = {
      kind: "background",
      taskId: `task-${slugify(instruction, 24) || "change"}-${randomBytes(4).toString("hex")}`,
      instruction,
      openPr,
      repo,
      base,
      ...(check !== undefined && { check }),
      approve: false,
      fixTurns: DEFAULT_FIX_TURNS,
      budgets: { maxTurns: agent.maxTurns, maxTokensPerTurn: agent.maxTokensPerTurn },
      allowUnsandboxed: agent.allowUnsandboxed,
      engine,
    };
    const { api } = await this.open();
    this.known.set(input.taskId, { kind: "background", ref: instruction, repo, createdAt: Date.now() });
    await api.startBackgroundTask(input);
    this.deps.logger.info(`background task ${input.taskId} queued in ${repo}`);
    await this.publishRecorded(input.taskId);
    this.follow(input.taskId, () => api.taskResult(input.taskId));
    return input.taskId;
  }

  /**
   * The durable tasks in the database, newest first. Without a database yet (no embedded data
   * folder, no URL) there are none, and nothing is started to say so.
   */
  async list(): Promise<{ tasks: ListedTask[]; problem?: ListTasksResult["problem"] }> {
    const [own, team] = await Promise.all([this.listOwn(), this.listTeam()]);
    // A task handed off is in both: its live record is the team's.
    const onTeam = new Set(team.tasks.map((t) => t.taskId));
    const problem = own.problem ?? team.problem;
    return {
      tasks: [...own.tasks.filter((t) => !onTeam.has(t.taskId)), ...team.tasks],
      ...(problem && { problem }),
    };
  }

  private async listOwn(): Promise<{ tasks: ListedTask[]; problem?: ListTasksResult["problem"] }> {
    if (!this.opened && !this.hasDatabase()) return { tasks: [] };
    try {
      const { api } = await this.open();
      const rows = await api.listTasks(LIST_LIMIT);
      return { tasks: rows.map((row) => listedDurableTask(this.facts(row))) };
    } catch (error) {
      const message = `the durable tasks could not be read: ${messageOf(error)}`;
      this.deps.logger.warn(message);
      return { tasks: [], problem: { code: "workflowsUnavailable", message } };
    }
  }

  private async listTeam(): Promise<{ tasks: ListedTask[]; problem?: ListTasksResult["problem"] }> {
    const client = this.teamClient();
    if (client === undefined) return { tasks: [] };
    try {
      const rows = await (await client).list(LIST_LIMIT);
      return { tasks: rows.map((row) => listedDurableTask({ ...this.facts(row), team: true })) };
    } catch (error) {
      const message = `the team's tasks could not be read: ${messageOf(error)}`;
      this.deps.logger.warn(message);
      return {
        tasks: [],
        problem: { code: "teamUnavailable", message, fix: "configureIntegration", target: "bora.team" },
      };
    }
  }

  /** Stops a durable task at its next step (its worktree and branch stay). */
  async cancel(taskId: string): Promise<void> {
    const found = await this.find(taskId);
    if (found.on === "team") return found.client.cancel(taskId);
    await found.api.cancelTask(taskId);
    await this.publishRecorded(taskId);
  }

  /** Runs a failed task's failed step again. */
  async retry(taskId: string): Promise<void> {
    const found = await this.find(taskId);
    const task = found.task;
    const state = durableStateOf(task);
    if (state !== "failed") throw new TaskRequestError(`task ${taskId} has not failed (it is ${state})`);
    if (task.engineStatus !== "PENDING" && task.engineStatus !== "ENQUEUED")
      throw new TaskRequestError(`task ${taskId} has ended for good (${task.engineStatus}); start it again`);
    if (found.on === "team") {
      const { retryMessage } = await import("../workflows/dbosWorkflows.js");
      return found.client.send(taskId, retryMessage(taskId));
    }
    const { api } = found;
    await api.retryTask(taskId);
    this.follow(taskId, () => api.taskResult(taskId));
  }

  /** Answers a task that waits for approval. */
  async approve(taskId: string, approved: boolean, note?: string): Promise<void> {
    const found = await this.find(taskId);
    const task = found.task;
    if (task.status?.state !== "waiting")
      throw new TaskRequestError(`task ${taskId} does not wait for approval (it is ${durableStateOf(task)})`);
    if (found.on === "team") {
      const { approvalMessage } = await import("../workflows/dbosWorkflows.js");
      return found.client.send(taskId, approvalMessage(taskId, task.status, approved, note));
    }
    await found.api.approveTask(taskId, approved, note);
  }

  /**
   * **Hand Off to Team**: this host's unfinished task goes to the team's queue (`moveTask.ts`). Its
   * run here is cancelled and waited out before anything is read, so the record and the worktree
   * it pushes are the last this host makes.
   */
  async handOff(taskId: string): Promise<HandOffTaskResult> {
    const teamClient = this.teamClient();
    if (teamClient === undefined)
      throw new TaskRequestError(
        this.databaseUrl() !== undefined && this.teamUrlSet()
          ? "this host's tasks are on the team's database already"
          : "no team queue is set up: give its database URL with Bora: Configure Integrations… → Team queue",
      );
    const { host, api } = await this.openFor(taskId);
    const facts = await this.existing(api, taskId);
    const [{ handOffTask, TaskMoveRefusal }, { openWorkflowClient }] = await Promise.all([
      import("../workflows/moveTask.js"),
      import("../workflows/team.js"),
    ]);
    const local = await openWorkflowClient(host.databaseUrl, this.deps.logger);
    try {
      const result = await handOffTask({
        taskId,
        local,
        team: await teamClient,
        spawner: this.deps.spawner,
        ...this.githubToken(),
        describe: (task) => durableStateOf({ engineStatus: task.engineStatus, status: task.status }),
        afterCancel: () => this.runEnded(taskId),
        say: (line) => this.deps.logger.info(`handoff of ${taskId}: ${line}`),
      }).catch((error: unknown) => {
        if (error instanceof TaskMoveRefusal) throw new TaskRequestError(error.message);
        throw error;
      });
      this.deps.logger.info(
        `durable task ${taskId} (${facts.ref ?? ""}) handed off to the team, ${result.operations} steps`,
      );
      this.known.delete(taskId);
      return { operations: result.operations, ...(result.pushed && { branch: result.pushed.branch }) };
    } finally {
      await local.close().catch(() => undefined);
    }
  }

  /**
   * **Check Out Locally**: a task of this host, its worktree; a team task, its branch fetched into a
   * worktree of `folder`'s repository (stopped on the team first when it still runs).
   */
  async checkOut(taskId: string, folder: string): Promise<CheckOutTaskResult> {
    const found = await this.find(taskId);
    if (found.on === "local") {
      const status = found.task.status;
      if (status?.worktree === undefined || status.branch === undefined)
        throw new TaskRequestError(`task ${taskId} has no worktree yet (it is ${durableStateOf(found.task)})`);
      if (!existsSync(status.worktree))
        throw new TaskRequestError(
          `the worktree of ${taskId} is gone (${status.worktree}); its branch is ${status.branch}`,
        );
      return { dir: status.worktree, branch: status.branch };
    }
    const { checkOutTeamTask, TaskMoveRefusal } = await import("../workflows/moveTask.js");
    try {
      return await checkOutTeamTask({
        taskId,
        team: found.client,
        repoDir: folder,
        stateDir: this.deps.stateDir,
        spawner: this.deps.spawner,
        ...this.githubToken(),
        describe: (task) => durableStateOf({ engineStatus: task.engineStatus, status: task.status }),
        say: (line) => this.deps.logger.info(`checkout of ${taskId}: ${line}`),
      });
    } catch (error) {
      if (error instanceof TaskMoveRefusal) throw new TaskRequestError(error.message);
      throw new TaskRequestError(messageOf(error));
    }
  }

  /** Closes the workflow host (host shutdown); unfinished tasks stay recorded and resume on the next open. */
  async dispose(): Promise<void> {
    this.closed = true;
    const team = this.team;
    this.team = undefined;
    await team?.client.then((client) => client.close()).catch(() => undefined);
    const runtime = this.runtime;
    this.runtime = undefined;
    if (runtime === undefined) return;
    const opened = await runtime.catch(() => undefined);
    await opened?.host.close();
  }

  private integrationConfig(): IntegrationConfig {
    return this.deps.integrationConfig?.() ?? integrationConfigFromEnv(this.deps.env);
  }

  private hasDatabase(): boolean {
    return this.databaseUrl() !== undefined || existsSync(path.join(this.deps.stateDir, "postgres"));
  }

  private databaseUrl(): string | undefined {
    return this.deps.env["BORA_DATABASE_URL"]?.trim() || this.deps.workflowSettings().databaseUrl || undefined;
  }

  private teamUrlSet(): string | undefined {
    return this.deps.teamDatabaseUrl?.()?.trim() || this.deps.env["BORA_TEAM_DATABASE_URL"]?.trim() || undefined;
  }

  /**
   * The team's database client, opened on first use and again when the URL changes; undefined
   * without one, or when this host's own database is the team's (its tasks are listed once).
   */
  private teamClient(): Promise<WorkflowClient> | undefined {
    const url = this.teamUrlSet();
    if (url === undefined || url === this.databaseUrl() || this.closed) return undefined;
    if (this.team?.url !== url) {
      const old = this.team;
      void old?.client.then((c) => c.close()).catch(() => undefined);
      const client = import("../workflows/team.js").then(({ openTeamClient }) => openTeamClient(url, this.deps.logger));
      // A failed open (the database is down) is tried again by the next request.
      client.catch(() => {
        if (this.team?.client === client) this.team = undefined;
      });
      this.team = { url, client };
    }
    return this.team.client;
  }

  private githubToken(): { token?: string } {
    const token = this.integrationConfig().github?.token;
    return token === undefined ? {} : { token };
  }

  /** A task of this host's database, else of the team's; an unknown id is the user's to fix. */
  private async find(
    taskId: string,
  ): Promise<
    | { on: "local"; api: Runtime["api"]; task: DurableTaskFacts }
    | { on: "team"; client: WorkflowClient; task: DurableTaskFacts }
  > {
    const teamClient = this.teamClient();
    let local: { on: "local"; api: Runtime["api"]; task: DurableTaskFacts } | undefined;
    if (this.opened || this.hasDatabase()) {
      const { api } = await this.open();
      const row = await api.showTask(taskId);
      if (row !== undefined) local = { on: "local", api, task: this.facts(row) };
      // A task handed off is in both databases, cancelled here: the team's record is the live one.
      if (local !== undefined && (teamClient === undefined || !isCancelled(row!.engineStatus))) return local;
    }
    if (teamClient !== undefined) {
      const client = await teamClient;
      const [row] = await client.list(1, [taskId]);
      if (row !== undefined) return { on: "team", client, task: { ...this.facts(row), team: true } };
    }
    if (local !== undefined) return local;
    throw new TaskRequestError(`no task ${taskId} on this host${teamClient ? " or the team's queue" : ""}`);
  }

  /** Resolves once the task's run in this process (if any) has ended; refuses after `HANDOFF_STOP_WAIT_MS`. */
  private async runEnded(taskId: string): Promise<void> {
    const run = this.runs.get(taskId);
    if (run === undefined) return;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new TaskRequestError(`task ${taskId} did not stop its current step in time; try again`)),
        HANDOFF_STOP_WAIT_MS,
      );
    });
    try {
      await Promise.race([run, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  private async inputFor(params: StartIssueToPrParams, folder: string, engine: EngineSpec): Promise<IssueToPrInput> {
    const { spawner } = this.deps;
    let repo: string;
    let base: string;
    try {
      repo = await realpath(await repositoryRoot(folder, spawner));
      base = params.base ?? (await currentBranch(repo, spawner));
    } catch (error) {
      throw new TaskRequestError(messageOf(error));
    }
    let source: IssueToPrInput["source"];
    let key: string;
    try {
      source = params.source ?? detectWorkItemSource(params.ref, this.integrationConfig());
      key = canonicalWorkItemKey(source, params.ref);
    } catch (error) {
      if (error instanceof WorkItemRefError || error instanceof ConfigError) throw new TaskRequestError(error.message);
      throw new TaskRequestError(`'${params.ref}' is not a work item reference: ${messageOf(error)}`);
    }
    const check = params.check ?? (await defaultCheckCommand(repo));
    const agent = this.deps.agentSettings();
    return {
      taskId: issueTaskId(source, key, repo),
      source,
      ref: params.ref,
      repo,
      base,
      ...(check !== undefined && { check }),
      approve: params.approve ?? this.deps.workflowSettings().approve,
      fixTurns: DEFAULT_FIX_TURNS,
      budgets: { maxTurns: agent.maxTurns, maxTokensPerTurn: agent.maxTokensPerTurn },
      allowUnsandboxed: agent.allowUnsandboxed,
      engine,
    };
  }

  private open(): Promise<Runtime> {
    if (this.closed) return Promise.reject(new Error("the host is shutting down"));
    this.runtime ??= this.launch().catch((error: unknown) => {
      // A failed open (the CLI holds the lock, the database does not answer) is tried again next time.
      this.runtime = undefined;
      throw error;
    });
    return this.runtime;
  }

  private async launch(): Promise<Runtime> {
    const { logger, stateDir, spawner, env } = this.deps;
    const settings = this.deps.workflowSettings();
    // Loaded here, not at the top: DBOS and its PostgreSQL client load only in a host that runs workflows.
    const [api, { WorkflowHost }] = await Promise.all([
      import("../workflows/dbosWorkflows.js"),
      import("../workflows/workflowHost.js"),
    ]);
    const databaseUrl = this.databaseUrl();
    const policy = reportingHttpPolicy(
      (line) => logger.info(line),
      (line) => logger.warn(line),
    );
    logger.info(`opening the workflow database (${databaseUrl === undefined ? "embedded" : "shared"})`);
    const host = await WorkflowHost.open({
      stateDir,
      ...(databaseUrl !== undefined && { databaseUrl }),
      spawner,
      log: logger,
      env,
      concurrency: settings.concurrency,
      services: async (input) => {
        const engine = await this.engineFor(input.engine);
        this.known.set(input.taskId, {
          kind: input.kind === "background" ? "background" : "issueToPr",
          ref: input.kind === "background" ? input.instruction : input.ref,
          repo: input.repo,
          createdAt: this.known.get(input.taskId)?.createdAt ?? Date.now(),
        });
        const services = createIssueToPrServices({
          config: this.integrationConfig(),
          policy,
          engine: engine.engine,
          spawner,
          stateDir,
          env,
          onStatus: (status) => this.publish(input.taskId, status),
        });
        let ended!: () => void;
        this.runs.set(input.taskId, new Promise<void>((resolve) => (ended = resolve)));
        return {
          ...services,
          dispose: async () => {
            try {
              await engine.dispose();
            } finally {
              this.runs.delete(input.taskId);
              ended();
            }
          },
        };
      },
    });
    logger.info(`workflows ready (executor ${host.executorId})`);
    return { host, api };
  }

  /**
   * The engine a task runs on: the host's own chat engine when the task recorded the model the host
   * runs (one copy of a local model in memory), else the recorded model, opened for the task.
   */
  private async engineFor(spec: EngineSpec): Promise<{ engine: Engine; dispose: () => Promise<void> }> {
    const { engines } = this.deps;
    const current = engines.chatSpec();
    if (current === undefined || !sameModel(current, spec)) {
      const engine = await engines.openOther(spec);
      return { engine, dispose: () => engine.dispose() };
    }
    const deadline = Date.now() + ENGINE_WAIT_MS;
    for (;;) {
      const engine = await engines.forRole("chat");
      if (engine !== undefined) return { engine, dispose: () => Promise.resolve() };
      if (Date.now() > deadline) throw new Error("the host's model did not become ready; retry the task");
      await new Promise((resolve) => setTimeout(resolve, ENGINE_POLL_MS));
    }
  }

  /** Opens the workflow host for a request about `taskId`; without a database there is no such task, and none is started. */
  private openFor(taskId: string): Promise<Runtime> {
    if (!this.opened && !this.hasDatabase())
      return Promise.reject(new TaskRequestError(`no task ${taskId} on this host`));
    return this.open();
  }

  private async existing(api: Runtime["api"], taskId: string): Promise<DurableTaskFacts> {
    const row = await api.showTask(taskId);
    if (row === undefined) throw new TaskRequestError(`no task ${taskId} on this host`);
    return this.facts(row);
  }

  private facts(row: TaskSummary): DurableTaskFacts {
    const input = row.input as Partial<IssueToPrInput> | Partial<BackgroundTaskInput> | undefined;
    const known = this.known.get(row.taskId);
    const kind: DurableKind = row.kind === "backgroundTask" ? "background" : "issueToPr";
    const ref =
      (input === undefined
        ? undefined
        : "instruction" in input
          ? input.instruction
          : (input as Partial<IssueToPrInput>).ref) ?? known?.ref;
    const repo = input?.repo ?? known?.repo;
    return {
      taskId: row.taskId,
      kind,
      ...(ref !== undefined && { ref }),
      ...(repo !== undefined && { repo }),
      engineStatus: row.engineStatus,
      status: row.status,
      createdAt: row.createdAt,
      ...(row.executorId !== undefined && { executorId: row.executorId }),
    };
  }

  /** Sends the task's recorded state (after start, cancel, and the end of its run). */
  private async publishRecorded(taskId: string): Promise<void> {
    const before = this.live.get(taskId) ?? 0;
    const runtime = await this.runtime;
    const row = await runtime?.api.showTask(taskId);
    // A status the workflow sent while this was read is newer than what was read: sending the read
    // one with a higher seq would take the client back a step.
    if (row !== undefined && (this.live.get(taskId) ?? 0) === before) this.send(this.facts(row));
  }

  /** A status the workflow set in this process. */
  private publish(taskId: string, status: TaskStatusRecord): void {
    this.live.set(taskId, (this.live.get(taskId) ?? 0) + 1);
    const known = this.known.get(taskId);
    this.send({
      taskId,
      ...(known && { kind: known.kind, ref: known.ref, repo: known.repo }),
      engineStatus: "PENDING",
      status,
      createdAt: known?.createdAt ?? Date.now(),
    });
  }

  private send(facts: DurableTaskFacts): void {
    const state = durableStateOf(facts);
    const rows = this.rows.get(facts.taskId) ?? [];
    const row = statusRow(state, facts.status);
    if (rows.length === 0 || JSON.stringify(rows[rows.length - 1]) !== JSON.stringify(row)) rows.push(row);
    this.rows.set(facts.taskId, rows.slice(-MAX_STATUS_ROWS));
    const now = Date.now();
    const seq = nextSeq(this.seqs.get(facts.taskId), now);
    this.seqs.set(facts.taskId, seq);
    try {
      this.deps.update(
        durableTaskUpdate(facts, { seq, rows: this.rows.get(facts.taskId)!, stateDir: this.deps.stateDir, now }),
      );
    } catch (error) {
      // A client that went away must not end the task.
      this.deps.logger.warn(`could not send the update of task ${facts.taskId}: ${messageOf(error)}`);
    }
  }

  /** Once the task's run in this process ends (done, cancelled, thrown), its recorded end goes out. */
  private follow(taskId: string, result: () => Promise<unknown>): void {
    if (this.followed.has(taskId)) return;
    this.followed.add(taskId);
    void result()
      .catch(() => undefined)
      .then(async () => {
        this.followed.delete(taskId);
        if (!this.closed) await this.publishRecorded(taskId);
      })
      .catch((error: unknown) => this.deps.logger.warn(`task ${taskId}: ${messageOf(error)}`));
  }
}

function isCancelled(engineStatus: string): boolean {
  return engineStatus === "CANCELLED";
}

/** The workspace folder a durable task works in: the one named, else the first. */
export function folderPathOf(uri: string | undefined, folders: readonly string[]): string | undefined {
  const chosen = uri ?? folders[0];
  if (chosen === undefined || !chosen.startsWith("file:")) return undefined;
  return fileURLToPath(chosen);
}
