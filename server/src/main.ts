/**
 * Wiring only: builds the host and its engines and puts them on a transport. Logic lives in
 * `host/`, `engines/` and `lsp/`.
 */
import { AgentHost } from "./host/agentHost.js";
import { EngineManager } from "./engines/engineManager.js";
import { defaultEngineDeps } from "./engines/openEngine.js";
import { createLogger, type Logger } from "./host/logger.js";
import { reportingHttpPolicy } from "./http/fetches.js";
import { runSession, startLanguageServer } from "./lsp/languageServer.js";
import type { Transport } from "./lsp/transport.js";
import type { BindAddress } from "./lsp/bindAddress.js";
import { webSocketUrl } from "./lsp/bindAddress.js";
import { WEBSOCKET_PATH, WebSocketHost } from "./lsp/webSocketHost.js";
import type { LogLevel } from "@bora/protocol";

/** How long Ctrl-C or SIGTERM may take in all: the session's grace (10 s) and a margin for closing the port. */
const STOP_DEADLINE_MS = 15_000;

/** The host, its engines and their dependencies, as one connection uses them. */
function buildHost(logger: Logger): {
  host: AgentHost;
  engines: EngineManager;
  deps: ReturnType<typeof defaultEngineDeps>;
} {
  const host = new AgentHost(logger);
  // Every request the host sends goes through this one policy; its audit lines go to the host's log.
  const http = reportingHttpPolicy(
    (line) => logger.info(line),
    (line) => logger.warn(line),
  );
  const deps = defaultEngineDeps({ env: process.env, cwd: process.cwd(), log: logger, http });
  return { host, engines: new EngineManager(host, deps), deps };
}

function keepUpAfterErrors(logger: Logger): void {
  // One bad request must not take every open editor's agent down with it.
  process.on("uncaughtException", (error) => logger.error("uncaught exception (host stays up)", error));
  process.on("unhandledRejection", (reason) => logger.error("unhandled rejection (host stays up)", reason));
}

export async function serve(transport: Transport, logger: Logger = createLogger()): Promise<void> {
  keepUpAfterErrors(logger);
  const { host, engines, deps } = buildHost(logger);
  await startLanguageServer(host, engines, transport, deps.store);
}

/**
 * `bora serve --websocket`: listens until Ctrl-C or SIGTERM, serving one editor at a time. Each
 * session gets a host and engines of its own, so nothing one editor opened outlives its session.
 */
export async function serveWebSocket(
  bind: BindAddress,
  token: string | undefined,
  level: LogLevel,
  logger: Logger = createLogger(level),
): Promise<void> {
  keepUpAfterErrors(logger);
  const server = new WebSocketHost({
    bind,
    token,
    log: logger,
    runSession: (streams, peer) => {
      // Its own logger: a session's lines go to its editor's console, the process's stay on stderr.
      const { host, engines, deps } = buildHost(createLogger(level));
      return runSession(host, engines, streams, `websocket from ${peer}`, deps.store);
    },
  });
  const port = await server.listen();
  let stopping = false;
  const stop = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    logger.info(`${signal}: closing the session and stopping`);
    // A session that cannot put its things away (a hung engine) must not keep Ctrl-C from working.
    setTimeout(() => {
      logger.warn(`${signal}: the session did not close in time; leaving anyway`);
      process.exit(1);
    }, STOP_DEADLINE_MS).unref();
    void server.close().finally(() => process.exit(0));
  };
  process.once("SIGINT", () => stop("SIGINT"));
  process.once("SIGTERM", () => stop("SIGTERM"));
  // Tests and scripts wait for this line; it goes to stderr like every other line of the host.
  process.stderr.write(`listening on ${webSocketUrl(bind.host, port, WEBSOCKET_PATH)}\n`);
}
