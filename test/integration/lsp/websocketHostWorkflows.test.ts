/**
 * A remote host's sessions come and go in one process; the durable tasks' workflow runtime (DBOS,
 * the embedded PostgreSQL and its lock) must be put away by one session and open again for the next.
 * Starts PostgreSQL: a heavy file, kept apart from websocketHost.test.ts.
 */
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { ListTasks, WebSocketMessageReader, WebSocketMessageWriter } from "@bora/protocol";
import {
  ExitNotification,
  InitializeRequest,
  ShutdownRequest,
  createProtocolConnection,
} from "vscode-languageserver-protocol/node";
import { WebSocket } from "ws";
import { assertBuilt, exitOf, spawnCli, waitFor } from "../../support/hostProcess.js";

async function listTasksInOneSession(url: string): Promise<{ problem?: unknown }> {
  const socket = await new Promise<WebSocket>((resolve, reject) => {
    const s = new WebSocket(url);
    s.once("open", () => resolve(s));
    s.once("error", reject);
  });
  const connection = createProtocolConnection(new WebSocketMessageReader(socket), new WebSocketMessageWriter(socket));
  connection.listen();
  await connection.sendRequest(InitializeRequest.type, { processId: process.pid, rootUri: null, capabilities: {} });
  const listed = await connection.sendRequest(ListTasks.type, {});
  await connection.sendRequest(ShutdownRequest.type);
  await connection.sendNotification(ExitNotification.type);
  connection.dispose();
  return listed;
}

describe("remote host sessions and the workflow runtime", function () {
  this.timeout(240_000);

  it("opens the workflow database in one session, puts it away at its end, and opens it again in the next", async () => {
    assertBuilt();
    const stateDir = mkdtempSync(path.join(os.tmpdir(), "bora-ws-state-"));
    // The embedded database's folder: with it the host opens the workflow runtime to list tasks.
    mkdirSync(path.join(stateDir, "postgres"));
    const child = spawnCli(["serve", "--websocket", "127.0.0.1:0"], { env: { BORA_STATE_DIR: stateDir } });
    child.stdin.end();
    let stderr = "";
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    try {
      const url = await waitFor("the host to listen", () => /listening on (ws:\/\/\S+)/.exec(stderr)?.[1], 20_000);
      const first = await listTasksInOneSession(url);
      assert.equal(first.problem, undefined, `first session: ${JSON.stringify(first.problem)}\n${stderr}`);
      await waitFor("the first session to end", () => /session ended/.test(stderr), 60_000, { seen: () => stderr });
      const second = await listTasksInOneSession(url);
      assert.equal(second.problem, undefined, `second session: ${JSON.stringify(second.problem)}\n${stderr}`);
      // Both sessions launched the runtime (their logs are on stderr: neither sent `initialized`).
      assert.equal(stderr.match(/workflows: DBOS launched/g)?.length, 2, stderr);
    } finally {
      child.kill("SIGTERM");
      await exitOf(child);
      rmSync(stateDir, { recursive: true, force: true });
    }
  });
});
