/**
 * Starts the built agent host (`server/dist/bora.mjs`) as a child process and talks LSP to it over
 * a real connection, as an editor would. The child loads the network guard too, and a test fails
 * if the guard reports anything on the child's stderr.
 */
import { spawn, type ChildProcessWithoutNullStreams } from "node:child_process";
import { existsSync } from "node:fs";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { Status, type BoraServerCapabilities, type StatusParams } from "@bora/protocol";
import {
  ConfigurationRequest,
  InitializeRequest,
  InitializedNotification,
  LogMessageNotification,
  StreamMessageReader,
  StreamMessageWriter,
  createProtocolConnection,
  type ProtocolConnection,
} from "vscode-languageserver-protocol/node";

import { REPO_ROOT } from "./paths.js";

export { REPO_ROOT };
export const HOST_BUNDLE = path.join(REPO_ROOT, "server/dist/bora.mjs");
const GUARD = path.join(REPO_ROOT, "test/setup/networkGuardChild.ts");

/**
 * The test's side of an LSP connection over a stream (a host's stdout, a socket).
 *
 * vscode-jsonrpc's `StreamMessageReader` re-arms a 10 s timer for as long as a message is half read,
 * and neither its `dispose()` nor the stream's end stops it: a host killed in the middle of writing
 * a message left a timer that kept mocha from exiting after the last test, now and then. This reader
 * stops its timer once its stream closes or it is disposed.
 */
class StreamReaderThatLetsGo extends StreamMessageReader {
  constructor(readable: NodeJS.ReadableStream) {
    super(readable);
    this.onClose(() => this.stopPartialMessageTimer());
  }

  override dispose(): void {
    this.stopPartialMessageTimer();
    super.dispose();
  }

  private stopPartialMessageTimer(): void {
    this.partialMessageTimeout = 0; // No re-arming…
    // …and no armed timer either (a private method of vscode-jsonrpc 8's reader; without it the
    // armed timer fires once more, within 10 s).
    (this as unknown as { clearPartialMessageTimer?: () => void }).clearPartialMessageTimer?.();
  }
}

/** A protocol connection over `readable` and `writable`, not listening yet. */
export function streamConnection(readable: NodeJS.ReadableStream, writable: NodeJS.WritableStream): ProtocolConnection {
  return createProtocolConnection(new StreamReaderThatLetsGo(readable), new StreamMessageWriter(writable));
}

export function assertBuilt(): void {
  if (!existsSync(HOST_BUNDLE)) throw new Error(`${HOST_BUNDLE} is missing: run 'npm run build' first`);
}

/** Node arguments that load the network guard into a child process. */
export const GUARDED_NODE_ARGS = ["--import", "tsx", "--import", GUARD];

export interface HostProcess {
  child: ChildProcessWithoutNullStreams;
  connection: ProtocolConnection;
  /** Everything the host wrote to stderr so far. */
  stderr(): string;
  /** Resolves with the exit code once the process is gone. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Kills the process if a test left it running. */
  dispose(): Promise<void>;
}

export function spawnCli(
  args: string[],
  options: { cwd?: string; env?: NodeJS.ProcessEnv } = {},
): ChildProcessWithoutNullStreams {
  assertBuilt();
  return spawn(process.execPath, [...GUARDED_NODE_ARGS, HOST_BUNDLE, ...args], {
    cwd: options.cwd ?? REPO_ROOT,
    env: { ...process.env, ...options.env },
    stdio: ["pipe", "pipe", "pipe"],
  });
}

export function exitOf(
  child: ChildProcessWithoutNullStreams,
): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null)
      resolve({ code: child.exitCode, signal: child.signalCode });
    else child.once("exit", (code, signal) => resolve({ code, signal }));
  });
}

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * Runs the built `bora` to completion with stdin closed and returns what it wrote. Fails when the
 * child tripped the network guard, so no CLI test can reach outside loopback unnoticed.
 */
export async function runBuiltCli(
  args: string[],
  options: { cwd?: string; env?: NodeJS.ProcessEnv } = {},
): Promise<CliResult> {
  const child = spawnCli(args, options);
  child.stdin.end();
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  const { code } = await exitOf(child);
  if (/network guard: blocked/.test(stderr))
    throw new Error(`bora ${args.join(" ")} tried to leave loopback:\n${stderr}`);
  return { code, stdout, stderr };
}

export function startHostOverStdio(extraArgs: string[] = [], env: NodeJS.ProcessEnv = {}): HostProcess {
  const child = spawnCli(["serve", "--stdio", ...extraArgs], { env });
  let stderr = "";
  child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  const connection = streamConnection(child.stdout, child.stdin);
  connection.listen();
  const exited = exitOf(child);
  return {
    child,
    connection,
    stderr: () => stderr,
    exited,
    async dispose() {
      connection.dispose();
      if (child.exitCode === null && child.signalCode === null) {
        child.kill("SIGKILL");
        await exited;
      }
      if (/network guard: blocked/.test(stderr)) throw new Error(`the host tried to leave loopback:\n${stderr}`);
    },
  };
}

/**
 * Waits until `probe` returns a value (not undefined or false), polling every `intervalMs` (Defaults
 * to 25). After `timeoutMs` it fails with `what` and, when `seen` is given, what it last saw.
 */
export async function waitFor<T>(
  what: string,
  probe: () => T | undefined | false | Promise<T | undefined | false>,
  timeoutMs = 10000,
  options: { seen?: () => string | Promise<string>; intervalMs?: number } = {},
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) {
      const seen = options.seen ? `; last seen: ${await options.seen()}` : "";
      throw new Error(`timed out after ${Math.round(timeoutMs / 1000)} s waiting for ${what}${seen}`);
    }
    await new Promise((resolve) => setTimeout(resolve, options.intervalMs ?? 25));
  }
}

export interface HostWithSettings {
  host: HostProcess;
  /** Every `bora/status` the host sent, in order. */
  statuses: StatusParams[];
  /** What the host offered under `capabilities.experimental.bora`. */
  bora: BoraServerCapabilities;
  /** Every line the host logged to the client. */
  logs: string[];
}

/**
 * Starts the built host as an editor would: initialized, with a client that answers
 * `workspace/configuration` with `settings()` (so a test can change them and notify the host).
 */
export async function startHostWithSettings(
  settings: () => unknown,
  env: NodeJS.ProcessEnv = {},
  /** What else `initialize` says: `initializationOptions`, and the workspace folders (paths). */
  more: { initializationOptions?: Record<string, unknown>; workspaceFolders?: readonly string[] } = {},
): Promise<HostWithSettings> {
  const host = startHostOverStdio([], env);
  const statuses: StatusParams[] = [];
  const logs: string[] = [];
  host.connection.onNotification(Status.type, (s) => void statuses.push(s));
  host.connection.onNotification(LogMessageNotification.type, (m) => void logs.push(m.message));
  host.connection.onRequest(ConfigurationRequest.type, (params) => params.items.map(() => settings()));
  const initialized = await host.connection.sendRequest(InitializeRequest.type, {
    processId: process.pid,
    rootUri: null,
    capabilities: { workspace: { configuration: true, didChangeConfiguration: { dynamicRegistration: true } } },
    ...(more.initializationOptions && { initializationOptions: more.initializationOptions }),
    ...(more.workspaceFolders && {
      workspaceFolders: more.workspaceFolders.map((folder) => ({
        uri: pathToFileURL(folder).href,
        name: path.basename(folder),
      })),
    }),
  });
  await host.connection.sendNotification(InitializedNotification.type, {});
  const bora = (initialized.capabilities.experimental as { bora: BoraServerCapabilities }).bora;
  return { host, statuses, bora, logs };
}
