import assert from "node:assert/strict";
import { chmod, mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { PROTOCOL_VERSION, Version, WebSocketMessageReader, WebSocketMessageWriter } from "@bora/protocol";
import {
  ExitNotification,
  InitializeRequest,
  InitializedNotification,
  LogMessageNotification,
  ShutdownRequest,
  createProtocolConnection,
  type ProtocolConnection,
} from "vscode-languageserver-protocol/node";
import { WebSocket } from "ws";
import { assertBuilt, exitOf, spawnCli, waitFor } from "../../support/hostProcess.js";

const TOKEN = "s3cret-token-for-the-websocket-test";

interface WsHost {
  url: string;
  stderr(): string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  signal(name: NodeJS.Signals): void;
  kill(): Promise<void>;
}

async function startWsHost(args: string[]): Promise<WsHost> {
  const child = spawnCli(["serve", ...args]);
  child.stdin.end();
  let stderr = "";
  child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = exitOf(child);
  const url = await waitFor("the host to listen", () => /listening on (ws:\/\/\S+)/.exec(stderr)?.[1], 20000, {
    seen: () => stderr,
  });
  return {
    url,
    stderr: () => stderr,
    exited,
    signal: (name) => child.kill(name),
    async kill() {
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
      await exited;
      assert.doesNotMatch(stderr, /network guard: blocked/);
    },
  };
}

type Attempt = { socket: WebSocket } | { status: number; body: string };

/** Opens a WebSocket as the extension does; a refused upgrade resolves with its HTTP status. */
function connect(url: string, token: string | undefined): Promise<Attempt> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = token === undefined ? {} : { Authorization: `Bearer ${token}` };
    const socket = new WebSocket(url, { headers });
    socket.once("open", () => resolve({ socket }));
    socket.once("unexpected-response", (_request, response) => {
      let body = "";
      response.on("data", (chunk: Buffer) => (body += chunk.toString()));
      response.on("end", () => resolve({ status: response.statusCode ?? 0, body }));
    });
    socket.once("error", reject);
  });
}

async function open(url: string, token: string | undefined): Promise<WebSocket> {
  const attempt = await connect(url, token);
  if ("status" in attempt) throw new Error(`refused with ${attempt.status}: ${attempt.body}`);
  return attempt.socket;
}

/** Every line a session logged to its client (`window/logMessage`). */
const logs: string[] = [];

async function session(socket: WebSocket): Promise<ProtocolConnection> {
  const connection = createProtocolConnection(new WebSocketMessageReader(socket), new WebSocketMessageWriter(socket));
  connection.onNotification(LogMessageNotification.type, (message) => void logs.push(message.message));
  connection.listen();
  const init = await connection.sendRequest(InitializeRequest.type, {
    processId: process.pid,
    rootUri: null,
    capabilities: {},
  });
  assert.equal(init.serverInfo?.name, "bora-agent-host");
  const version = await connection.sendRequest(Version.type, { clientProtocolVersion: PROTOCOL_VERSION });
  assert.equal(version.protocolVersion, PROTOCOL_VERSION);
  assert.equal(version.compatible, true);
  return connection;
}

function count(text: string, pattern: RegExp): number {
  return text.match(new RegExp(pattern.source, "g"))?.length ?? 0;
}

describe("agent host over a WebSocket (bora serve --websocket)", () => {
  let dir: string;
  let tokenFile: string;
  const hosts: WsHost[] = [];

  before(async () => {
    assertBuilt();
    dir = await mkdtemp(path.join(os.tmpdir(), "bora-ws-"));
    tokenFile = path.join(dir, "token");
    await writeFile(tokenFile, `${TOKEN}\n`);
    await chmod(tokenFile, 0o600);
  });

  afterEach(async () => {
    for (const host of hosts.splice(0)) await host.kill();
  });

  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("serves a session to the right token, refuses a second editor with 409, and serves a fresh session after the first leaves", async () => {
    const host = await startWsHost(["--websocket", "127.0.0.1:0", "--token-file", tokenFile]);
    hosts.push(host);
    const first = await open(host.url, TOKEN);
    const connection = await session(first);

    const second = await connect(host.url, TOKEN);
    assert.ok("status" in second, "a second editor got a session while one was connected");
    assert.equal(second.status, 409);
    assert.match(second.body, /Another editor is connected/);

    // A clean end (shutdown, exit) ends the session, not the process.
    await connection.sendRequest(ShutdownRequest.type);
    await connection.sendNotification(ExitNotification.type);
    await waitFor("the session to end", () => count(host.stderr(), /session ended/) === 1, 20000, {
      seen: host.stderr,
    });
    connection.dispose();

    // The next editor gets a session of its own, which answers.
    const secondSocket = await open(host.url, TOKEN);
    const again = await session(secondSocket);
    // An editor that vanishes without exit (its socket just drops) frees the slot too.
    again.dispose();
    secondSocket.terminate();
    await waitFor("the dropped session to end", () => count(host.stderr(), /session ended/) === 2, 20000, {
      seen: host.stderr,
    });
    (await session(await open(host.url, TOKEN))).dispose();
    assert.equal(count(host.stderr(), /session started/), 3);
    assert.equal(host.stderr().includes(TOKEN), false, "the token appeared in the host's stderr");
  });

  it("answers a wrong or a missing token with 401, starts no session, and never logs the token", async () => {
    const host = await startWsHost(["--websocket", "127.0.0.1:0", "--token-file", tokenFile]);
    hosts.push(host);
    const wrong = await connect(host.url, `${TOKEN}-not`);
    assert.ok("status" in wrong);
    assert.equal(wrong.status, 401);
    const none = await connect(host.url, undefined);
    assert.ok("status" in none);
    assert.equal(none.status, 401);
    await waitFor("both refusals in the log", () => count(host.stderr(), /refused a connection/) === 2, 10000, {
      seen: host.stderr,
    });
    assert.match(host.stderr(), /a wrong token/);
    assert.match(host.stderr(), /no token/);
    assert.doesNotMatch(host.stderr(), /session started/);
    assert.equal(host.stderr().includes(TOKEN), false, "the token appeared in the host's stderr");
    // The refusals did not take the slot: the right token still gets a session.
    (await session(await open(host.url, TOKEN))).dispose();
  });

  it("refuses to start on a non-loopback address without a token", async () => {
    const child = spawnCli(["serve", "--websocket", "0.0.0.0:0"]);
    child.stdin.end();
    let stderr = "";
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    const { code } = await exitOf(child);
    assert.equal(code, 2);
    assert.match(stderr, /reachable from other machines, so it needs --token-file/);
    assert.doesNotMatch(stderr, /listening on/);
  });

  it("starts on loopback without a token with a warning, and ends cleanly on SIGTERM", async () => {
    const host = await startWsHost(["--websocket", "localhost:0"]);
    hosts.push(host);
    assert.match(host.stderr(), /warning: no --token-file: any user of this machine can connect/);
    const connection = await session(await open(host.url, undefined));
    // Initialized: the session's log now goes over the connection, which SIGTERM is about to close.
    await connection.sendNotification(InitializedNotification.type, {});
    await waitFor("the session's log on the connection", () => logs.length > 0, 10000);
    host.signal("SIGTERM");
    const { code } = await host.exited;
    assert.equal(code, 0);
    assert.doesNotMatch(host.stderr(), /Sending log message failed[\s\S]*Sending log message failed/);
    assert.match(host.stderr(), /SIGTERM: closing the session and stopping/);
    assert.match(host.stderr(), /session ended/);
    connection.dispose();
  });
});
