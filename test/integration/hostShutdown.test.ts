/**
 * "Shutting the host down leaves nothing running": the real language server (in this process, on a
 * loopback socket, as `bora serve --socket` runs it) with a sandboxed command and a git operation in
 * flight, both started through the host's spawner as agent tasks will start them. Each way the host
 * can end (LSP `shutdown` then `exit`, `exit` alone, the client vanishing) must leave no process:
 * checked by pid and by process group, grandchildren and the sandbox's inner processes included.
 */
import assert from "node:assert/strict";
import net from "node:net";
import {
  ExitNotification,
  InitializedNotification,
  InitializeRequest,
  ShutdownRequest,
  type ProtocolConnection,
} from "vscode-languageserver-protocol/node";
import { AgentHost } from "../../server/src/host/agentHost.js";
import { EngineManager } from "../../server/src/engines/engineManager.js";
import { defaultEngineDeps } from "../../server/src/engines/openEngine.js";
import { HttpPolicy } from "../../server/src/http/policy.js";
import { createLogger } from "../../server/src/host/logger.js";
import { startLanguageServer } from "../../server/src/lsp/languageServer.js";
import { git } from "../../server/src/workspace/git.js";
import { createCommandRunner, type CommandResult } from "../../server/src/workspace/sandbox.js";
import { descendants, leftBehind, type ProcessInfo } from "../support/processTree.js";
import { streamConnection, waitFor } from "../support/hostProcess.js";
import { fixtureRepo } from "./agent/helpers.js";

interface Running {
  host: AgentHost;
  client: ProtocolConnection;
  socket: net.Socket;
  server: net.Server;
  /** What the host's work started: every process below this one that was not there before. */
  tracked: ProcessInfo[];
  command: Promise<CommandResult>;
  gitOperation: Promise<unknown>;
}

describe("host shutdown stops every child process (in-process language server)", function () {
  this.timeout(60000);
  let repo: { dir: string; dispose(): Promise<void> };
  let running: Running | undefined;
  let exitCodes: (number | undefined)[];
  const realExit = process.exit;

  beforeEach(async () => {
    repo = await fixtureRepo();
    // The language server ends its process on `exit` and when the client goes away; here that
    // process runs the tests, so the call is recorded instead.
    exitCodes = [];
    process.exit = ((code?: number) => {
      exitCodes.push(code);
    }) as typeof process.exit;
  });

  afterEach(async () => {
    process.exit = realExit;
    if (running) {
      running.client.dispose();
      running.socket.destroy();
      running.server.close();
      // Whatever a failed test left behind must not leak into the next one.
      await running.host.spawner.close(0);
      running = undefined;
    }
    await repo.dispose();
  });

  /** Starts the host, then a sandboxed command and a git operation that would run for minutes. */
  async function startHostWithWork(): Promise<Running> {
    const before = new Set(descendants(process.pid).map((p) => `${p.pid}/${p.startTime}`));
    const server = net.createServer();
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const accepted = new Promise<net.Socket>((resolve) => server.once("connection", resolve));
    const logger = createLogger("error");
    const host = new AgentHost(logger);
    const deps = defaultEngineDeps({ env: process.env, cwd: process.cwd(), log: logger, http: new HttpPolicy() });
    await startLanguageServer(
      host,
      new EngineManager(host, deps),
      { kind: "socket", port: (server.address() as net.AddressInfo).port },
      deps.store,
    );
    const socket = await accepted;
    const client = streamConnection(socket, socket);
    client.listen();
    await client.sendRequest(InitializeRequest.type, { processId: null, rootUri: null, capabilities: {} });
    await client.sendNotification(InitializedNotification.type, {});

    const runner = await createCommandRunner({ root: repo.dir, spawner: host.spawner });
    assert.equal(runner.kind, "bubblewrap", "bubblewrap works on this machine (CI installs it)");
    // A shell with a grandchild in the background, inside the sandbox's own PID namespace.
    const command = runner.run({ command: "sleep 3001 & wait", timeoutMs: 600000 });
    // A git that runs a shell that runs a grandchild, through the one git helper.
    const gitOperation = git(["-c", "alias.bora-hang=!sleep 3002 & wait", "bora-hang"], {
      cwd: repo.dir,
      spawner: host.spawner,
      timeoutMs: 600000,
    }).catch((error: unknown) => error);
    const tracked = await waitFor(
      "the sandboxed command's and git's grandchildren",
      () => {
        const started = descendants(process.pid).filter((p) => !before.has(`${p.pid}/${p.startTime}`));
        const has = (marker: string): boolean => started.some((p) => p.cmdline === marker);
        return has("sleep 3001") && has("sleep 3002") && started;
      },
      30000,
    );
    // The sandbox's inner processes sit in their own session: the groups checked are more than one per child.
    assert.ok(new Set(tracked.map((p) => p.pgid)).size >= 3, JSON.stringify(tracked));
    return { host, client, socket, server, tracked, command, gitOperation };
  }

  /** Waits until none of `tracked` runs, by pid, and no process is left in their process groups. */
  async function assertNothingLeft(tracked: ProcessInfo[]): Promise<void> {
    let left: string[] = [];
    await waitFor("every process the host started to end", () => (left = leftBehind(tracked)).length === 0).catch(() =>
      assert.fail(`still running:\n${left.join("\n")}`),
    );
  }

  it("on shutdown, then exit 0", async () => {
    running = await startHostWithWork();
    await running.client.sendRequest(ShutdownRequest.type);
    await assertNothingLeft(running.tracked);
    const result = await running.command;
    assert.equal(result.exitCode, null, "the command was killed");
    assert.ok((await running.gitOperation) instanceof Error, "the git operation failed");
    await running.client.sendNotification(ExitNotification.type);
    await waitFor("the host to end its process", () => exitCodes.length > 0);
    assert.deepEqual(exitCodes, [0]);
  });

  it("on exit without shutdown, killing at once", async () => {
    running = await startHostWithWork();
    await running.client.sendNotification(ExitNotification.type);
    await waitFor("the host to end its process", () => exitCodes.length > 0);
    // (The exit code, 1 here, is the library's and is remembered per process, not per connection:
    // hostLsp.test.ts checks it on a host of its own.)
    assert.equal(exitCodes.length, 1);
    // The process would be gone by now: what it started must already have been told to die.
    await assertNothingLeft(running.tracked);
  });

  it("when the client goes away without shutdown", async () => {
    running = await startHostWithWork();
    running.socket.destroy();
    await waitFor("the host to end its process", () => exitCodes.length > 0);
    assert.deepEqual(exitCodes, [1]);
    await assertNothingLeft(running.tracked);
    assert.equal(running.host.spawner.closed, true, "nothing new may start after the host stopped");
  });
});
