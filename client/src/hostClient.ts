/**
 * Builds the language client: for the bundled agent host in a child Node process, or for a remote
 * host (`bora serve --websocket`) over a WebSocket the extension opens first.
 */
import { MAX_WEBSOCKET_MESSAGE_BYTES, WebSocketMessageReader, WebSocketMessageWriter } from "@bora/protocol";
import * as vscode from "vscode";
import { WebSocket } from "ws";
import {
  CloseAction,
  ErrorAction,
  LanguageClient,
  TransportKind,
  type LanguageClientOptions,
  type ServerOptions,
} from "vscode-languageclient/node";
import { failureOfStatus, reasonOfError, type ConnectFailure } from "./agentHostTarget.js";

export type HostClient = LanguageClient;

/**
 * How long the extension waits for a remote host to accept the WebSocket. A host on the same
 * network answers in milliseconds; this only bounds a silent firewall or a dead address.
 */
const CONNECT_TIMEOUT_MS = 10_000;

/** A failure to open the remote host's WebSocket, with what it means for the user. */
export class HostConnectError extends Error {
  constructor(readonly failure: ConnectFailure) {
    super(failure.kind === "unreachable" ? failure.reason : failure.kind);
  }
}

/**
 * Opens the WebSocket to a remote host, with the token as a bearer header. Opened before the
 * language client starts, so a refusal (401, 409) or an unreachable host is this extension's to
 * explain, once, instead of the library's generic "couldn't create connection".
 */
export function connectRemoteHost(url: string, token: string | undefined): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = token ? { Authorization: `Bearer ${token}` } : {};
    const socket = new WebSocket(url, {
      headers,
      handshakeTimeout: CONNECT_TIMEOUT_MS,
      maxPayload: MAX_WEBSOCKET_MESSAGE_BYTES,
    });
    socket.once("open", () => resolve(socket));
    socket.once("unexpected-response", (_request, response) => {
      let body = "";
      response.setEncoding("utf8");
      response.on("data", (chunk: string) => (body += chunk));
      response.on("end", () => reject(new HostConnectError(failureOfStatus(response.statusCode ?? 0, body))));
      response.on("error", () => reject(new HostConnectError(failureOfStatus(response.statusCode ?? 0, body))));
    });
    socket.once("error", (error) =>
      reject(new HostConnectError({ kind: "unreachable", reason: reasonOfError(error) })),
    );
  });
}

/** Where the language client's connection comes from: a child process, or a WebSocket already open. */
export type HostConnection = { kind: "local" } | { kind: "remote"; socket: WebSocket };

export function createHostClient(
  extension: vscode.ExtensionContext,
  log: vscode.LogOutputChannel,
  onCrash: () => void,
  connection: HostConnection = { kind: "local" },
): HostClient {
  // `fork` runs the module with the Node that runs the extension host, so the native addons of
  // the engine load against the same ABI (node-llama-cpp is N-API, stable across versions).
  const module = extension.asAbsolutePath("server/dist/bora.mjs");
  const serverOptions: ServerOptions =
    connection.kind === "remote"
      ? () =>
          Promise.resolve({
            reader: new WebSocketMessageReader(connection.socket, (reason) => log.warn(`agent host: ${reason}`)),
            writer: new WebSocketMessageWriter(connection.socket),
            detached: false,
          })
      : {
          run: { module, args: ["serve"], transport: TransportKind.ipc },
          debug: { module, args: ["serve"], transport: TransportKind.ipc, options: { execArgv: ["--inspect=6009"] } },
        };
  const clientOptions: LanguageClientOptions = {
    documentSelector: [{ scheme: "file" }, { scheme: "untitled" }],
    outputChannel: log,
    // This window can answer a task's approvals and questions (`bora/requestApproval`,
    // `bora/askUser`); without it the host treats the client as headless and declines them.
    initializationOptions: { questions: true },
    // Settings flow one way: the host pulls them (workspace/configuration) when told they changed.
    // It registers for that notification itself (section `bora`); the notification carries no
    // values, so the pulled ones are the only ones.
    middleware: {
      workspace: { didChangeConfiguration: (_sections, next) => next(undefined) },
    },
    errorHandler: {
      // A malformed message is logged by the host and skipped; keep the connection.
      error: () => ({ action: ErrorAction.Continue, handled: true }),
      closed: () => {
        onCrash();
        return { action: CloseAction.DoNotRestart, handled: true };
      },
    },
  };
  return new LanguageClient("bora", "Bora Agent Host", serverOptions, clientOptions);
}
