/**
 * Agent tasks through the built host over a real LSP connection: a scripted model behind
 * `bora engine serve`, the fixture project in a real git repository, commands in the real
 * bubblewrap sandbox, and a test client that answers (or cannot answer) approvals.
 */
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { pathToFileURL } from "node:url";
import {
  AskUser,
  CancelTask,
  RequestApproval,
  StartTask,
  TaskFileBase,
  TaskUpdated,
  UndoTaskChanges,
  type ApprovalDecision,
  type RequestApprovalParams,
  type StartTaskParams,
  type TaskItem,
  type TaskUpdatedParams,
} from "@bora/protocol";
import {
  DidOpenTextDocumentNotification,
  ExitNotification,
  ResponseError,
  ShutdownRequest,
} from "vscode-languageserver-protocol/node";
import { startHostWithSettings, waitFor, type HostWithSettings } from "../../support/hostProcess.js";
import { startEngineServe, type ServedEngine } from "../../support/engineServe.js";
import { descendants, processes } from "../../support/processTree.js";
import { fixtureRepo, tempDir } from "../agent/helpers.js";

/** A task's state as a client folds `bora/taskUpdated`. */
interface Folded {
  last: TaskUpdatedParams;
  items: TaskItem[];
  statuses: string[];
}

interface TaskHost {
  started: HostWithSettings;
  tasks: Map<string, Folded>;
  approvals: RequestApprovalParams[];
  /** Every update in arrival order, for "at the same time" checks. */
  log: TaskUpdatedParams[];
  stop(): Promise<void>;
}

const sha256 = (file: string): string => createHash("sha256").update(readFileSync(file)).digest("hex");

async function scriptedEngine(dir: string, script: unknown): Promise<ServedEngine> {
  const file = path.join(dir, "script.json");
  writeFileSync(file, JSON.stringify(script));
  return startEngineServe(["--engine", `script:${file}`, "--model-name", "scripted-model"]);
}

async function taskHost(
  served: ServedEngine,
  workspace: string,
  stateDir: string,
  options: { questions?: boolean; decide?: (p: RequestApprovalParams) => ApprovalDecision } = {},
): Promise<TaskHost> {
  const settings = {
    engine: "remote",
    models: { chat: "scripted-model" },
    remote: { preset: "bora", baseUrl: served.baseUrl },
  };
  const started = await startHostWithSettings(
    () => settings,
    { BORA_STATE_DIR: stateDir },
    { workspaceFolders: [workspace], initializationOptions: { questions: options.questions ?? true } },
  );
  const tasks = new Map<string, Folded>();
  const approvals: RequestApprovalParams[] = [];
  const log: TaskUpdatedParams[] = [];
  started.host.connection.onNotification(TaskUpdated.type, (update) => {
    log.push(update);
    const known = tasks.get(update.taskId);
    if (known !== undefined && known.last.seq >= update.seq) return;
    const items = [...(known?.items.slice(0, update.from) ?? []), ...update.items];
    tasks.set(update.taskId, { last: update, items, statuses: [...(known?.statuses ?? []), update.status] });
  });
  started.host.connection.onRequest(RequestApproval.type, (params) => {
    approvals.push(params);
    return { decision: options.decide?.(params) ?? "once" };
  });
  started.host.connection.onRequest(AskUser.type, () => ({ answer: "mocha" }));
  await waitFor("engine ready", () => started.statuses.find((s) => s.engine.state === "ready"), 60_000);
  return {
    started,
    tasks,
    approvals,
    log,
    async stop() {
      await started.host.connection.sendRequest(ShutdownRequest.type);
      await started.host.connection.sendNotification(ExitNotification.type);
      await started.host.exited;
      await started.host.dispose();
    },
  };
}

async function startTask(host: TaskHost, params: StartTaskParams): Promise<string> {
  const { taskId } = await host.started.host.connection.sendRequest(StartTask.type, params);
  return taskId;
}

async function ended(host: TaskHost, taskId: string, timeoutMs = 60_000): Promise<Folded> {
  return waitFor(
    `task ${taskId} to end`,
    () => {
      const task = host.tasks.get(taskId);
      return task?.last.outcome !== undefined ? task : undefined;
    },
    timeoutMs,
    { seen: () => JSON.stringify(host.tasks.get(taskId)?.last ?? null).slice(0, 2000) },
  );
}

function tools(task: Folded): { name: string; state: string; result?: string }[] {
  return task.items.flatMap((i) => (i.type === "tool" ? [{ name: i.name, state: i.state, result: i.result }] : []));
}

const FIX_EDIT = {
  name: "edit_file",
  arguments: {
    path: "src/cart.js",
    edits: [{ old: "  return sum - discountPercent;", new: "  return Math.round(sum * (1 - discountPercent / 100));" }],
  },
};
const NPM_TEST = { name: "run_command", arguments: { command: "npm test", timeout_s: 60 } };

describe("agent tasks over LSP (scripted model, fixture project)", function () {
  this.timeout(180_000);
  const cleanups: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  async function setup(
    script: unknown,
    options?: Parameters<typeof taskHost>[3],
  ): Promise<{ host: TaskHost; repo: string; stateDir: string }> {
    const repo = await fixtureRepo();
    cleanups.push(repo.dispose);
    const state = await tempDir("bora-task-state-");
    cleanups.push(state.dispose);
    const served = await scriptedEngine(state.dir, script);
    cleanups.push(() => served.stop());
    const host = await taskHost(served, repo.dir, state.dir, options);
    cleanups.push(() => host.stop());
    return { host, repo: repo.dir, stateDir: state.dir };
  }

  it("runs a task that reads, edits, runs the tests after an approval, and reports the change set", async () => {
    const { host, repo } = await setup({
      turns: [
        { content: "Looking.", tool_calls: [{ name: "read_file", arguments: { path: "src/cart.js" } }] },
        { tool_calls: [FIX_EDIT] },
        { tool_calls: [NPM_TEST] },
        { content: "Fixed cartTotal; npm test passes." },
      ],
    });
    const taskId = await startTask(host, { kind: "free", instruction: "fix the failing test" });
    const task = await ended(host, taskId);
    assert.equal(task.last.status, "completed", JSON.stringify(task.last.outcome));
    assert.deepEqual(
      tools(task).map((t) => [t.name, t.state]),
      [
        ["read_file", "ok"],
        ["edit_file", "ok"],
        ["run_command", "ok"],
      ],
    );
    assert.match(tools(task)[2]!.result ?? "", /exit code 0/);
    assert.deepEqual(
      host.approvals.map((a) => [a.taskId, a.tool, a.summary]),
      [[taskId, "run_command", "npm test"]],
    );
    const approval = task.items.find((i) => i.type === "approval");
    assert.deepEqual(approval && [approval.type, approval.type === "approval" && approval.state], [
      "approval",
      "allowed",
    ]);
    const outcome = task.last.outcome!;
    assert.equal(outcome.answer, "Fixed cartTotal; npm test passes.");
    assert.deepEqual(
      outcome.changes.map((c) => [c.status, c.path, c.uri]),
      [["modified", "src/cart.js", pathToFileURL(path.join(repo, "src/cart.js")).href]],
    );
    assert.ok(outcome.checkpoint?.startsWith("refs/bora/checkpoints/"));
    assert.ok(task.last.turn >= 4 && task.last.tokens.completion > 0);
    // The text streamed into the rows, and the transcript (JSONL) is on disk.
    assert.deepEqual(task.items[0], { type: "text", turn: 1, text: "Looking." });
    assert.ok(existsSync(task.last.transcript));
    assert.match(readFileSync(task.last.transcript, "utf8"), /"type":"end"/);
    // The review: the base is the file before the task.
    const base = await host.started.host.connection.sendRequest(TaskFileBase.type, { taskId, path: "src/cart.js" });
    assert.match(base.text ?? "", /return sum - discountPercent;/);
  });

  it("asks once, remembers 'always' for the workspace, and obeys 'deny'", async () => {
    const decisions: ApprovalDecision[] = ["always", "deny"];
    const { host, stateDir } = await setup(
      {
        turns: [
          { tool_calls: [NPM_TEST] },
          { tool_calls: [NPM_TEST] },
          { tool_calls: [{ name: "run_command", arguments: { command: "node --version" } }] },
          { content: "Done." },
        ],
      },
      { decide: () => decisions.shift() ?? "deny" },
    );
    const taskId = await startTask(host, { kind: "free", instruction: "run the tests twice, then node --version" });
    const task = await ended(host, taskId);
    // Asked for npm test once (answered always), not again; asked for node --version (denied).
    assert.deepEqual(
      host.approvals.map((a) => a.summary),
      ["npm test", "node --version"],
    );
    const rows = task.items.flatMap((i) => (i.type === "approval" ? [[i.summary, i.state, i.by]] : []));
    assert.deepEqual(rows, [
      ["npm test", "allowed", "user"],
      ["npm test", "allowed", "always"],
      ["node --version", "denied", "user"],
    ]);
    assert.deepEqual(
      tools(task).map((t) => t.state),
      ["ok", "ok", "failed"],
    );
    assert.match(tools(task)[2]!.result ?? "", /denied/);
    // Stored outside the workspace, in the host's state folder.
    assert.match(readFileSync(path.join(stateDir, "approvals.json"), "utf8"), /"summary": "npm test"/);
  });

  it("gives a headless client the headless behaviour: declined, with the reason in the transcript", async () => {
    const { host } = await setup(
      { turns: [{ tool_calls: [NPM_TEST] }, { content: "Could not run them." }] },
      {
        questions: false,
      },
    );
    const taskId = await startTask(host, { kind: "free", instruction: "run the tests" });
    const task = await ended(host, taskId);
    assert.deepEqual(host.approvals, [], "no approval request reaches a client that cannot answer");
    const row = task.items.find((i) => i.type === "approval");
    assert.deepEqual(row?.type === "approval" && [row.state, row.by], ["denied", "headless"]);
    const transcript = readFileSync(task.last.transcript, "utf8");
    assert.match(transcript, /declined \(nobody could be asked: the client does not answer approvals\)/);
  });

  it("asks the user the model's question and gives the model the answer; a waiting task says so", async () => {
    const { host } = await setup({
      turns: [
        { tool_calls: [{ name: "ask_user", arguments: { question: "Which runner?", options: ["mocha", "jest"] } }] },
        { content: "Using mocha." },
      ],
    });
    const taskId = await startTask(host, { kind: "writeTests", instruction: "" });
    const task = await ended(host, taskId);
    const row = task.items.find((i) => i.type === "question");
    assert.deepEqual(row, {
      type: "question",
      id: row?.type === "question" ? row.id : "",
      question: "Which runner?",
      options: ["mocha", "jest"],
      answer: "mocha",
    });
    assert.deepEqual(
      tools(task).map((t) => [t.name, t.state, t.result]),
      [["ask_user", "ok", "the user answered: mocha"]],
    );
    assert.ok(task.statuses.includes("waiting"), `statuses: ${task.statuses.join(", ")}`);
    assert.equal(task.last.status, "completed");
  });

  it("cancels in the middle of a sandboxed command: the task ends cancelled and the process tree is gone", async () => {
    const { host } = await setup({
      turns: [{ tool_calls: [{ name: "run_command", arguments: { command: "sleep 3007 & sleep 3008; wait" } }] }],
    });
    const taskId = await startTask(host, { kind: "free", instruction: "wait a long time" });
    const hostPid = host.started.host.child.pid!;
    const sleeping = await waitFor(
      "the sandboxed sleeps",
      () => {
        const below = descendants(hostPid).filter((p) => /^sleep 300[78]$/.test(p.cmdline));
        return below.length === 2 ? below : undefined;
      },
      30_000,
    );
    const sent = performance.now();
    await host.started.host.connection.sendRequest(CancelTask.type, { taskId });
    const cancelMs = performance.now() - sent;
    const task = await ended(host, taskId, 10_000);
    assert.equal(task.last.status, "cancelled");
    const alive = processes().filter((p) => sleeping.some((s) => s.pid === p.pid && s.startTime === p.startTime));
    assert.deepEqual(alive, [], "every process of the command ended");
    assert.ok(cancelMs < 5000, `cancel answered in ${Math.round(cancelMs)} ms`);
  });

  it("runs two tasks at once, each with its own transcript", async () => {
    const { host } = await setup({
      chunkDelayMs: 150,
      turns: [{ content: "First answer, streamed slowly." }, { content: "Second answer, streamed slowly." }],
    });
    const [a, b] = await Promise.all([
      startTask(host, { kind: "explain", instruction: "what is this project?" }),
      startTask(host, { kind: "explain", instruction: "what does cart.js do?" }),
    ]);
    const [first, second] = await Promise.all([ended(host, a), ended(host, b)]);
    assert.equal(first.last.status, "completed");
    assert.equal(second.last.status, "completed");
    // Both were generating before either ended: a text row of each arrived before the first end.
    const firstEnd = host.log.findIndex((u) => u.outcome !== undefined);
    const streaming = new Set(
      host.log.slice(0, firstEnd).flatMap((u) => (u.items.some((i) => i.type === "text") ? [u.taskId] : [])),
    );
    assert.deepEqual([...streaming].sort(), [a, b].sort());
    assert.notEqual(first.last.transcript, second.last.transcript);
    assert.deepEqual([first.last.outcome!.answer, second.last.outcome!.answer].sort(), [
      "First answer, streamed slowly.",
      "Second answer, streamed slowly.",
    ]);
  });

  it("never overwrites an open document with unsaved changes; the model is told why", async () => {
    const { host, repo } = await setup({
      turns: [{ tool_calls: [FIX_EDIT] }, { content: "The file has unsaved changes; please save it." }],
    });
    const file = path.join(repo, "src/cart.js");
    const before = sha256(file);
    const uri = pathToFileURL(file).href;
    await host.started.host.connection.sendNotification(DidOpenTextDocumentNotification.type, {
      textDocument: { uri, languageId: "javascript", version: 1, text: `// typing…\n${readFileSync(file, "utf8")}` },
    });
    const taskId = await startTask(host, {
      kind: "free",
      instruction: "fix cart.js",
      scope: { textDocument: { uri } },
    });
    const task = await ended(host, taskId);
    assert.deepEqual(
      tools(task).map((t) => [t.name, t.state]),
      [["edit_file", "failed"]],
    );
    assert.match(
      tools(task)[0]!.result ?? "",
      /unsaved_changes: src\/cart\.js is open in the editor with unsaved changes/,
    );
    assert.equal(sha256(file), before, "the file on disk is untouched");
    assert.deepEqual(task.last.outcome!.changes, []);
  });

  it("undoes one changed file exactly and leaves the other; a running or unknown task is refused", async () => {
    const { host, repo } = await setup({
      turns: [
        {
          tool_calls: [
            FIX_EDIT,
            { name: "write_file", arguments: { path: "NOTES.md", content: "notes\r\nwithout a final newline" } },
            { name: "write_file", arguments: { path: "README.md", content: "replaced\n" } },
          ],
        },
        { content: "Done." },
      ],
    });
    const cart = path.join(repo, "src/cart.js");
    const readme = path.join(repo, "README.md");
    const cartBefore = sha256(cart);
    const readmeBefore = sha256(readme);
    const taskId = await startTask(host, { kind: "free", instruction: "change three files" });
    const task = await ended(host, taskId);
    assert.deepEqual(task.last.outcome!.changes.map((c) => [c.status, c.path]).sort(), [
      ["added", "NOTES.md"],
      ["modified", "README.md"],
      ["modified", "src/cart.js"],
    ]);
    const connection = host.started.host.connection;
    const one = await connection.sendRequest(UndoTaskChanges.type, { taskId, paths: ["src/cart.js"] });
    assert.deepEqual(
      one.restored.map((c) => c.path),
      ["src/cart.js"],
    );
    assert.deepEqual(one.remaining.map((c) => c.path).sort(), ["NOTES.md", "README.md"]);
    assert.equal(sha256(cart), cartBefore, "cart.js is byte-identical to before the task");
    assert.notEqual(sha256(readme), readmeBefore, "README.md keeps the task's change");
    const added = await connection.sendRequest(TaskFileBase.type, { taskId, path: "NOTES.md" });
    assert.equal(added.text, null, "a created file has no base");
    const rest = await connection.sendRequest(UndoTaskChanges.type, { taskId });
    assert.deepEqual(rest.remaining, []);
    assert.equal(sha256(readme), readmeBefore);
    assert.equal(existsSync(path.join(repo, "NOTES.md")), false, "the added file is removed");
    await assert.rejects(
      connection.sendRequest(UndoTaskChanges.type, { taskId, paths: ["package.json"] }),
      (error: ResponseError<unknown>) => error.code === -32602 && /did not change package\.json/.test(error.message),
    );
    await assert.rejects(
      connection.sendRequest(CancelTask.type, { taskId: "no-such-task" }),
      (error: ResponseError<unknown>) => error.code === -32602 && /no task no-such-task/.test(error.message),
    );
  });

  it("refuses a free task without an instruction and a document outside the workspace", async () => {
    const { host } = await setup({ turns: [{ content: "never used" }] });
    const connection = host.started.host.connection;
    await assert.rejects(
      connection.sendRequest(StartTask.type, { kind: "free", instruction: "  " }),
      (error: ResponseError<unknown>) => error.code === -32602 && /needs an instruction/.test(error.message),
    );
    await assert.rejects(
      connection.sendRequest(StartTask.type, {
        kind: "explain",
        scope: { textDocument: { uri: "file:///etc/hostname" } },
      }),
      (error: ResponseError<unknown>) => error.code === -32602 && /not in a workspace folder/.test(error.message),
    );
    assert.equal(host.tasks.size, 0);
  });
});

describe("agent tasks over LSP: an explanation of a selection in a folder that is not a git repository", function () {
  this.timeout(120_000);
  it("streams the answer as text rows and completes", async () => {
    const work = await tempDir("bora-task-plain-");
    const state = await tempDir("bora-task-state-");
    const served = await scriptedEngine(state.dir, { chunkDelayMs: 20, turns: [{ content: "It **adds** prices." }] });
    const host = await taskHost(served, work.dir, state.dir);
    try {
      const file = path.join(work.dir, "cart.js");
      writeFileSync(file, "export function cartTotal(items) {\n  return 0;\n}\n");
      const uri = pathToFileURL(file).href;
      await host.started.host.connection.sendNotification(DidOpenTextDocumentNotification.type, {
        textDocument: { uri, languageId: "javascript", version: 1, text: readFileSync(file, "utf8") },
      });
      const taskId = await startTask(host, {
        kind: "explain",
        instruction: "",
        scope: { textDocument: { uri }, range: { start: { line: 0, character: 0 }, end: { line: 3, character: 0 } } },
      });
      const task = await ended(host, taskId, 30_000);
      assert.equal(task.last.status, "completed", JSON.stringify(task.last));
      assert.equal(task.last.title, "Explain cart.js:1-3");
      assert.deepEqual(task.items, [{ type: "text", turn: 1, text: "It **adds** prices." }]);
    } finally {
      await host.stop();
      await served.stop();
      await work.dispose();
      await state.dispose();
    }
  });
});
