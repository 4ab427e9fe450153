import assert from "node:assert/strict";
import { fork, spawn } from "node:child_process";
import net from "node:net";
import { PROTOCOL_VERSION, Version } from "@bora/protocol";
import {
  ExitNotification,
  IPCMessageReader,
  IPCMessageWriter,
  InitializeRequest,
  ShutdownRequest,
  createProtocolConnection,
  type ProtocolConnection,
} from "vscode-languageserver-protocol/node";
import { GUARDED_NODE_ARGS, HOST_BUNDLE, assertBuilt, streamConnection } from "../support/hostProcess.js";

async function handshake(connection: ProtocolConnection): Promise<void> {
  const init = await connection.sendRequest(InitializeRequest.type, {
    processId: process.pid,
    rootUri: null,
    capabilities: {},
  });
  assert.equal(init.serverInfo?.name, "bora-agent-host");
  const version = await connection.sendRequest(Version.type, { clientProtocolVersion: PROTOCOL_VERSION });
  assert.equal(version.protocolVersion, PROTOCOL_VERSION);
  await connection.sendRequest(ShutdownRequest.type);
  await connection.sendNotification(ExitNotification.type);
}

describe("agent host transports", () => {
  before(assertBuilt);

  it("speaks LSP over node-ipc (how the VS Code extension runs it) and exits 0", async () => {
    const child = fork(HOST_BUNDLE, ["serve", "--node-ipc"], {
      execArgv: GUARDED_NODE_ARGS,
      stdio: ["ignore", "ignore", "pipe", "ipc"],
    });
    const exited = new Promise<number | null>((resolve) => child.once("exit", resolve));
    const connection = createProtocolConnection(new IPCMessageReader(child), new IPCMessageWriter(child));
    connection.listen();
    await handshake(connection);
    assert.equal(await exited, 0);
    connection.dispose();
  });

  it("connects to a socket the client listens on (--socket=PORT) and exits 0", async () => {
    const server = net.createServer();
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const port = (server.address() as net.AddressInfo).port;
    const accepted = new Promise<net.Socket>((resolve) => server.once("connection", resolve));
    const child = spawn(process.execPath, [...GUARDED_NODE_ARGS, HOST_BUNDLE, "serve", `--socket=${port}`], {
      stdio: "ignore",
    });
    const exited = new Promise<number | null>((resolve) => child.once("exit", resolve));
    const socket = await accepted;
    const connection = streamConnection(socket, socket);
    connection.listen();
    await handshake(connection);
    assert.equal(await exited, 0);
    connection.dispose();
    server.close();
  });

  it("says what is wrong when --node-ipc has no IPC channel", async () => {
    const child = spawn(process.execPath, [...GUARDED_NODE_ARGS, HOST_BUNDLE, "serve", "--node-ipc"], {
      stdio: ["ignore", "ignore", "pipe"],
    });
    let stderr = "";
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    const code = await new Promise<number | null>((resolve) => child.once("exit", resolve));
    assert.equal(code, 1);
    assert.match(stderr, /--node-ipc needs a parent that started this process with an IPC channel/);
  });
});
