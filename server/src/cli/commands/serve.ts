import { parseArgs } from "node:util";
import type { LogLevel } from "@bora/protocol";
import { createLogger } from "../../host/logger.js";
import type { Transport } from "../../lsp/transport.js";
import { serve } from "../../main.js";
import { UsageError, type CliCommand } from "../command.js";

const LEVELS: readonly string[] = ["error", "warn", "info", "debug"];

/** Parses the transport flags editors pass to language servers (`--stdio`, `--node-ipc`, `--socket=N`, `--pipe=N`). */
export function parseServeArgs(args: string[]): { transport: Transport; logLevel: LogLevel } {
  const { values } = parseArgs({
    args,
    strict: true,
    options: {
      stdio: { type: "boolean" },
      "node-ipc": { type: "boolean" },
      socket: { type: "string" },
      pipe: { type: "string" },
      // Editors add this so a server can watch its parent; the LSP `initialize` carries it too.
      clientProcessId: { type: "string" },
      "log-level": { type: "string" },
    },
  });
  const chosen = [values.stdio, values["node-ipc"], values.socket, values.pipe].filter((v) => v !== undefined);
  if (chosen.length > 1)
    throw new UsageError("choose one transport: --stdio, --node-ipc, --socket=PORT or --pipe=NAME");
  const logLevel = values["log-level"] ?? "info";
  if (!LEVELS.includes(logLevel)) throw new UsageError(`--log-level must be one of ${LEVELS.join(", ")}`);
  let transport: Transport = { kind: "stdio" };
  if (values["node-ipc"]) transport = { kind: "node-ipc" };
  if (values.socket !== undefined) {
    const port = Number(values.socket);
    if (!Number.isInteger(port) || port <= 0 || port > 65535)
      throw new UsageError(`--socket needs a port number, got ${values.socket}`);
    transport = { kind: "socket", port };
  }
  if (values.pipe !== undefined) transport = { kind: "pipe", name: values.pipe };
  return { transport, logLevel: logLevel as LogLevel };
}

export const serveCommand: CliCommand = {
  name: "serve",
  summary: "Run the agent host as a language server (what the editor starts)",
  usage: `bora serve [--stdio | --node-ipc | --socket=PORT | --pipe=NAME] [--log-level LEVEL]

Runs the Bora agent host, speaking LSP. With --stdio (the default) stdin/stdout are the wire and
logs go to the client's console or stderr. --socket and --pipe connect to a port or pipe that the
client listens on, as LSP clients expect. --log-level is error, warn, info (default) or debug.`,
  async run(args) {
    const { transport, logLevel } = parseServeArgs(args);
    await serve(transport, createLogger(logLevel));
    return "running";
  },
};
