import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import path from "node:path";
import { PROTOCOL_VERSION, PullModel, SetSecret, Status, Version, type StatusParams } from "@bora/protocol";
import {
  ErrorCodes,
  ExitNotification,
  InitializeRequest,
  InitializedNotification,
  LogMessageNotification,
  RequestType0,
  ResponseError,
  ShutdownRequest,
  TextDocumentSyncKind,
  type InitializeResult,
  type LogMessageParams,
} from "vscode-languageserver-protocol/node";
import { REPO_ROOT, startHostOverStdio, waitFor, type HostProcess } from "../support/hostProcess.js";

const serverVersion = (
  JSON.parse(readFileSync(path.join(REPO_ROOT, "server/package.json"), "utf8")) as { version: string }
).version;

/** Initializes and waits for the ready status, so the host has handled `initialized` too. */
async function initialize(host: HostProcess, statuses: StatusParams[]): Promise<InitializeResult> {
  const result = await host.connection.sendRequest(InitializeRequest.type, {
    processId: process.pid,
    rootUri: null,
    capabilities: {},
    clientInfo: { name: "bora-integration-test" },
  });
  await host.connection.sendNotification(InitializedNotification.type, {});
  await waitFor("a ready status", () => statuses.find((s) => s.host === "ready"));
  return result;
}

function contentLengthFrame(body: string): string {
  return `Content-Length: ${Buffer.byteLength(body, "utf8")}\r\n\r\n${body}`;
}

describe("agent host over stdio (a real LSP connection to the built host)", function () {
  let host: HostProcess;
  let statuses: StatusParams[];
  let logs: LogMessageParams[];

  beforeEach(() => {
    host = startHostOverStdio();
    statuses = [];
    logs = [];
    host.connection.onNotification(Status.type, (s) => {
      statuses.push(s);
    });
    host.connection.onNotification(LogMessageNotification.type, (m) => {
      logs.push(m);
    });
  });
  afterEach(async () => {
    await host.dispose();
  });

  it("answers initialize with the capabilities it implements and its name and version", async () => {
    const result = await initialize(host, statuses);
    assert.equal(result.serverInfo?.name, "bora-agent-host");
    assert.equal(result.serverInfo?.version, serverVersion);
    assert.deepEqual(result.capabilities.textDocumentSync, {
      openClose: true,
      change: TextDocumentSyncKind.Incremental,
    });
    const { secretKey, ...bora } = (result.capabilities.experimental as { bora: { secretKey: string } }).bora;
    assert.deepEqual(bora, {
      protocolVersion: PROTOCOL_VERSION,
      capabilities: ["status", "engine.local", "engine.remote"],
    });
    // An X25519 public key in SPKI DER (12 bytes of header, 32 of key), new for every host process.
    assert.equal(Buffer.from(secretKey, "base64").length, 44);
  });

  it("sends bora/status with the host ready after initialized", async () => {
    await initialize(host, statuses);
    const ready = await waitFor("a ready status", () => statuses.find((s) => s.host === "ready"));
    assert.deepEqual(ready.engine, { state: "none" });
  });

  it("answers bora/version and judges the client's protocol version", async () => {
    await initialize(host, statuses);
    const same = await host.connection.sendRequest(Version.type, { clientProtocolVersion: PROTOCOL_VERSION });
    assert.equal(same.hostVersion, serverVersion);
    assert.equal(same.protocolVersion, PROTOCOL_VERSION);
    assert.equal(same.compatible, true);
    const other = await host.connection.sendRequest(Version.type, { clientProtocolVersion: "9.0.0" });
    assert.equal(other.compatible, false);
  });

  it("answers a generic client's bora/version with {}, null or no params, and refuses bad params by name", async () => {
    await initialize(host, statuses);
    const raw = new RequestType0<{ compatible: boolean; protocolVersion: string }, void>(Version.method);
    for (const answer of [
      await host.connection.sendRequest(Version.method, {}),
      await host.connection.sendRequest(raw),
    ] as { compatible: boolean; protocolVersion: string }[]) {
      assert.equal(answer.protocolVersion, PROTOCOL_VERSION);
      assert.equal(answer.compatible, true, "a client that does not say its version has nothing to disagree with");
    }
    const invalid = (field: string) => (error: unknown) =>
      error instanceof ResponseError &&
      error.code === ErrorCodes.InvalidParams &&
      error.message.includes(`'${field}'`) &&
      (error.data as { code?: string } | undefined)?.code === "invalidParams";
    await assert.rejects(
      host.connection.sendRequest(Version.method, { clientProtocolVersion: 1 }),
      invalid("clientProtocolVersion"),
    );
    await assert.rejects(host.connection.sendRequest(PullModel.method, {}), invalid("uri"));
    await assert.rejects(host.connection.sendRequest(PullModel.method, { uri: "x".repeat(1 << 20) }), invalid("uri"));
    await assert.rejects(host.connection.sendRequest(SetSecret.method, { name: "remote.apiKey" }), invalid("sealed"));
    // Still up, and nothing it logged was an internal error.
    const again = await host.connection.sendRequest(Version.type, { clientProtocolVersion: PROTOCOL_VERSION });
    assert.equal(again.compatible, true);
    assert.doesNotMatch(host.stderr(), /Cannot read properties|InternalError/);
  });

  it("answers an unknown method with MethodNotFound and stays up", async () => {
    await initialize(host, statuses);
    const unknown = new RequestType0<unknown, void>("bora/noSuchMethod");
    await assert.rejects(
      host.connection.sendRequest(unknown),
      (error: unknown) => error instanceof ResponseError && error.code === ErrorCodes.MethodNotFound,
    );
    const version = await host.connection.sendRequest(Version.type, { clientProtocolVersion: PROTOCOL_VERSION });
    assert.equal(version.protocolVersion, PROTOCOL_VERSION);
  });

  const garbage: Record<string, string> = {
    "random bytes with no header": "\u0000\u00ff garbage that is not LSP at all\n\n",
    "a header without Content-Length": "X-Nonsense: 12\r\n\r\n",
    "a Content-Length that is not a number": "Content-Length: twelve\r\n\r\n",
    "a body that is not JSON": contentLengthFrame("{this is not json"),
    "JSON that is not JSON-RPC": contentLengthFrame('{"hello":"world"}'),
  };
  for (const [name, bytes] of Object.entries(garbage)) {
    it(`skips ${name} and still answers the next request`, async () => {
      await initialize(host, statuses);
      host.child.stdin.write(Buffer.from(bytes, "latin1"));
      const version = await host.connection.sendRequest(Version.type, { clientProtocolVersion: PROTOCOL_VERSION });
      assert.equal(version.hostVersion, serverVersion);
      const warned = await waitFor("a log line about the skipped input", () =>
        logs.find((l) => /LSP input: skipped/.test(l.message)),
      );
      assert.ok(warned);
      assert.equal(host.child.exitCode, null, "the host is still running");
    });
  }

  it("ends with exit code 0 after shutdown and exit", async () => {
    await initialize(host, statuses);
    await host.connection.sendRequest(ShutdownRequest.type);
    await host.connection.sendNotification(ExitNotification.type);
    const { code } = await host.exited;
    assert.equal(code, 0);
  });

  it("ends with exit code 1 on exit without shutdown, as the LSP spec asks", async () => {
    await initialize(host, statuses);
    await host.connection.sendNotification(ExitNotification.type);
    const { code } = await host.exited;
    assert.equal(code, 1);
  });

  it("ends when the client closes stdin without shutdown", async () => {
    await initialize(host, statuses);
    host.child.stdin.end();
    const { code } = await host.exited;
    assert.equal(code, 1);
  });

  it("never writes anything but LSP frames to stdout", async () => {
    const raw: Buffer[] = [];
    host.child.stdout.on("data", (chunk: Buffer) => raw.push(chunk));
    await initialize(host, statuses);
    host.child.stdin.write("garbage\r\n\r\n");
    await host.connection.sendRequest(Version.type, { clientProtocolVersion: PROTOCOL_VERSION });
    await host.connection.sendRequest(ShutdownRequest.type);
    await host.connection.sendNotification(ExitNotification.type);
    await host.exited;
    const text = Buffer.concat(raw).toString("utf8");
    // Every byte on stdout belongs to a frame: strip the frames and nothing may be left.
    let rest = text;
    for (;;) {
      const match = /^Content-Length: (\d+)\r\n(?:[^\r\n]+\r\n)*\r\n/.exec(rest);
      if (!match) break;
      const length = Number(match[1]);
      const bodyStart = match[0].length;
      JSON.parse(Buffer.from(rest.slice(bodyStart)).subarray(0, length).toString("utf8"));
      rest = Buffer.from(rest.slice(bodyStart)).subarray(length).toString("utf8");
    }
    assert.equal(rest, "");
  });
});
