import { parseArgs } from "node:util";
import type { LogLevel } from "@bora/protocol";
import { createLogger } from "../../host/logger.js";
import { isLoopbackHost, parseBindAddress, type BindAddress } from "../../lsp/bindAddress.js";
import type { Transport } from "../../lsp/transport.js";
import { readTokenFile, WEBSOCKET_PATH } from "../../lsp/webSocketHost.js";
import { serve, serveWebSocket } from "../../main.js";
import { UsageError, type CliCommand } from "../command.js";

const LEVELS: readonly string[] = ["error", "warn", "info", "debug"];

/** `--websocket`: the host listens for editors instead of being started by one. */
export interface WebSocketServe {
  bind: BindAddress;
  /** Undefined only on a loopback address. */
  tokenFile: string | undefined;
}

export interface ServeArgs {
  /** The transport when the editor starts the host; unused with `webSocket`. */
  transport: Transport;
  webSocket?: WebSocketServe;
  logLevel: LogLevel;
}

/**
 * Parses the transport flags editors pass to language servers (`--stdio`, `--node-ipc`,
 * `--socket=N`, `--pipe=N`) and `--websocket HOST:PORT [--token-file F]`.
 */
export function parseServeArgs(args: string[]): ServeArgs {
  const { values } = parseArgs({
    args,
    strict: true,
    options: {
      stdio: { type: "boolean" },
      "node-ipc": { type: "boolean" },
      socket: { type: "string" },
      pipe: { type: "string" },
      websocket: { type: "string" },
      "token-file": { type: "string" },
      // Editors add this so a server can watch its parent; the LSP `initialize` carries it too.
      clientProcessId: { type: "string" },
      "log-level": { type: "string" },
    },
  });
  const chosen = [values.stdio, values["node-ipc"], values.socket, values.pipe, values.websocket].filter(
    (v) => v !== undefined,
  );
  if (chosen.length > 1)
    throw new UsageError(
      "choose one transport: --stdio, --node-ipc, --socket=PORT, --pipe=NAME or --websocket HOST:PORT",
    );
  const logLevel = values["log-level"] ?? "info";
  if (!LEVELS.includes(logLevel)) throw new UsageError(`--log-level must be one of ${LEVELS.join(", ")}`);
  if (values["token-file"] !== undefined && values.websocket === undefined)
    throw new UsageError("--token-file goes with --websocket HOST:PORT");
  let transport: Transport = { kind: "stdio" };
  if (values["node-ipc"]) transport = { kind: "node-ipc" };
  if (values.socket !== undefined) {
    const port = Number(values.socket);
    if (!Number.isInteger(port) || port <= 0 || port > 65535)
      throw new UsageError(`--socket needs a port number, got ${values.socket}`);
    transport = { kind: "socket", port };
  }
  if (values.pipe !== undefined) transport = { kind: "pipe", name: values.pipe };
  const result: ServeArgs = { transport, logLevel: logLevel as LogLevel };
  if (values.websocket !== undefined) {
    let bind: BindAddress;
    try {
      bind = parseBindAddress(values.websocket);
    } catch (error) {
      throw new UsageError(error instanceof Error ? error.message : String(error));
    }
    const tokenFile = values["token-file"];
    if (tokenFile === undefined && !isLoopbackHost(bind.host))
      throw new UsageError(
        `--websocket ${values.websocket} is reachable from other machines, so it needs --token-file F: ` +
          "without a token anyone who can reach the port could run agents and commands as you",
      );
    result.webSocket = { bind, tokenFile };
  }
  return result;
}

export const serveCommand: CliCommand = {
  name: "serve",
  summary: "Run the agent host as a language server (what the editor starts, or a remote host editors connect to)",
  usage: `bora serve [--stdio | --node-ipc | --socket=PORT | --pipe=NAME] [--log-level LEVEL]
bora serve --websocket HOST:PORT [--token-file F] [--log-level LEVEL]

Runs the Bora agent host, speaking LSP. With --stdio (the default) stdin/stdout are the wire and
logs go to the client's console or stderr. --socket and --pipe connect to a port or pipe that the
client listens on, as LSP clients expect. --log-level is error, warn, info (default) or debug.

--websocket HOST:PORT listens for editors (setting bora.agentHost.url = ws://HOST:PORT${WEBSOCKET_PATH}),
one JSON-RPC message per text frame, on the path ${WEBSOCKET_PATH}. PORT 0 picks a free port; the host
prints "listening on ws://HOST:PORT${WEBSOCKET_PATH}" on stderr once ready. One editor at a time: another
gets HTTP 409 while one is connected. The process keeps running when an editor leaves, until
Ctrl-C or SIGTERM.
--token-file F holds the token editors must send (Authorization: Bearer TOKEN; a wrong or missing
one gets HTTP 401). The file must not be empty nor readable by every user. It is required unless
HOST is loopback (localhost, 127.x.x.x, ::1); 0.0.0.0 is every interface, not loopback.
The host works on file paths as IT sees them: the workspace must be on the host's machine (or at
the same paths). For TLS (wss://), put a reverse proxy in front of a loopback host.`,
  async run(args, io) {
    const { transport, webSocket, logLevel } = parseServeArgs(args);
    if (webSocket === undefined) {
      await serve(transport, createLogger(logLevel));
      return "running";
    }
    let token: string | undefined;
    if (webSocket.tokenFile !== undefined) {
      try {
        token = await readTokenFile(webSocket.tokenFile);
      } catch (error) {
        throw new UsageError(`--token-file: ${error instanceof Error ? error.message : String(error)}`);
      }
    } else {
      io.stderr.write(
        `warning: no --token-file: any user of this machine can connect to ${webSocket.bind.host}:${webSocket.bind.port} and run agents as you\n`,
      );
    }
    await serveWebSocket(webSocket.bind, token, logLevel);
    return "running";
  },
};
