/**
 * `bora engine serve`: serves an engine as an OpenAI-compatible HTTP API, so one GPU machine can
 * serve a team and any OpenAI client (or another Bora host, with the `bora` remote preset) can use it.
 */
import { readFile, stat } from "node:fs/promises";
import path from "node:path";
import { parseArgs } from "node:util";
import { isLoopbackBind } from "../../engineServer/bearerToken.js";
import { EngineHttpServer } from "../../engineServer/EngineHttpServer.js";
import { LOCAL_PROFILES, type LocalOptions } from "../../engines/engineSpec.js";
import { modelIdFor } from "../../engines/openEngine.js";
import { UsageError, type CliCommand, type CliIO, type CommandOutcome } from "../command.js";
import { ENGINE_FLAG_OPTIONS, cliEngineDeps, engineSpecFromFlags, openEngineForCli } from "../engineFlags.js";
import { progressRenderer } from "./models/progressRenderer.js";

const USAGE = `bora engine serve --model <name|path|uri> [--listen HOST:PORT] [--token-file FILE] [--model-name NAME]

Serves a model over the OpenAI-compatible API: GET /v1/models, POST /v1/chat/completions
(streaming and not, with tool calls; a 'prediction' makes it a fast edit), POST /v1/completions
(with 'suffix' for fill-in-the-middle) and POST /tokenize. Requests may carry
'x-bora-priority: interactive|chat|background'.

  --model        a model in the store, a GGUF file, an https:// URL or hf:<owner>/<repo>/<file>.gguf
                 (pulled into the model store first if it is not there)
  --listen       address to bind. Defaults to 127.0.0.1:8765. Port 0 picks a free port.
  --token-file   file holding the bearer token clients must send. Required unless the address
                 is loopback (127.x, ::1, localhost).
  --model-name   the id clients use. Defaults to the model's store name (scripted: --model, else 'scripted').
  --engine       'local' (the default) or script:FILE (replays a scripted model; for tests)
  --sequences N  requests served at the same time. Defaults to 4
  --context-size N  tokens of context per request. Defaults to 4096, or the model's training context when smaller
  --threads N    CPU threads. Defaults to 1 for tiny models, else every math core
  --cpu          run on the CPU even when a GPU is available

Prints 'serving <model> on http://HOST:PORT/v1' when ready; stops on SIGINT or SIGTERM.`;

function positive(flag: string, value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || n < 1) throw new UsageError(`${flag} needs a positive integer, got '${value}'`);
  return n;
}

/** `HOST:PORT`, `[IPv6]:PORT` or just `PORT` (loopback). */
export function parseListen(value: string): { host: string; port: number } {
  const match = /^(?:\[([^\]]+)\]|([^:[\]]+))?:?(\d+)$/.exec(value.trim());
  if (match === null) throw new UsageError(`--listen needs HOST:PORT (e.g. 127.0.0.1:8765), got '${value}'`);
  const host = match[1] ?? match[2] ?? "127.0.0.1";
  const port = Number(match[3]);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new UsageError(`--listen: ${port} is not a port`);
  return { host, port };
}

/** Reads the token, refusing an empty file and warning about one others can read. */
async function readToken(file: string, io: CliIO): Promise<string> {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (error) {
    throw new UsageError(
      `cannot read --token-file ${file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`,
    );
  }
  const token = text.trim();
  if (token === "") throw new UsageError(`--token-file ${file} is empty; put the token on its first line`);
  if (/\s/.test(token)) throw new UsageError(`--token-file ${file} must hold one token without spaces`);
  const mode = (await stat(file)).mode;
  if ((mode & 0o077) !== 0) {
    io.stderr.write(`bora engine: warning: ${file} can be read by other users; run 'chmod 600 ${file}'\n`);
  }
  return token;
}

async function serve(args: string[], io: CliIO): Promise<CommandOutcome> {
  const { values } = parseArgs({
    args,
    strict: true,
    options: {
      ...ENGINE_FLAG_OPTIONS,
      listen: { type: "string" },
      "token-file": { type: "string" },
      "model-name": { type: "string" },
      "context-size": { type: "string" },
      sequences: { type: "string" },
      threads: { type: "string" },
      cpu: { type: "boolean" },
    },
  });
  const local: LocalOptions = {
    ...LOCAL_PROFILES.serve,
    ...(values["context-size"] !== undefined
      ? { contextSize: positive("--context-size", values["context-size"]) }
      : {}),
    ...(values.sequences !== undefined ? { sequences: positive("--sequences", values.sequences) } : {}),
    ...(values.threads !== undefined ? { threads: positive("--threads", values.threads) } : {}),
    ...(values.cpu ? { gpu: false as const } : {}),
  };
  // Checked before anything is opened or pulled: a usage mistake costs nothing.
  const spec = engineSpecFromFlags(values, { local, pull: true, kinds: ["local", "script"] });
  const { host, port } = parseListen(values.listen ?? "127.0.0.1:8765");
  const tokenFile = values["token-file"];
  if (tokenFile === undefined && !isLoopbackBind(host)) {
    throw new UsageError(
      `refusing to listen on ${host} without --token-file: anyone who can reach it could use the model. ` +
        `Create a token (e.g. 'openssl rand -hex 32 > token && chmod 600 token') and pass --token-file token.`,
    );
  }
  const token = tokenFile === undefined ? undefined : await readToken(path.resolve(io.cwd, tokenFile), io);
  const deps = cliEngineDeps(io, "bora engine", progressRenderer(io.stderr));
  const engine = await openEngineForCli(spec, deps);
  const modelId = values["model-name"] ?? modelIdFor(spec, deps.store);
  const server = new EngineHttpServer({
    engine,
    modelId,
    ...(token !== undefined ? { token } : {}),
    log: (line) => io.stderr.write(`bora engine: ${line}\n`),
  });
  let url: string;
  try {
    url = await server.listen(host, port);
  } catch (error) {
    await engine.dispose();
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "EADDRINUSE") throw new Error(`${host}:${port} is already in use; pick another port with --listen`);
    throw error;
  }
  io.stdout.write(`serving ${modelId} on ${url}\n`);
  const stop = (): void => {
    process.off("SIGINT", stop);
    process.off("SIGTERM", stop);
    void server
      .close()
      .then(() => engine.dispose())
      .finally(() => {
        process.exitCode = 0;
      });
  };
  process.on("SIGINT", stop);
  process.on("SIGTERM", stop);
  return "running";
}

export const engineCommand: CliCommand = {
  name: "engine",
  summary: "Serve a model over the OpenAI-compatible HTTP API (engine serve)",
  usage: USAGE,
  async run(args, io) {
    const [sub, ...rest] = args;
    if (sub !== "serve")
      throw new UsageError(
        sub === undefined ? "missing subcommand: serve" : `unknown subcommand '${sub}'; the only one is 'serve'`,
      );
    return serve(rest, io);
  },
};
