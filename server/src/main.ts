/**
 * Wiring only: builds the host and its engines and puts them on a transport. Logic lives in
 * `host/`, `engines/` and `lsp/`.
 */
import { AgentHost } from "./host/agentHost.js";
import { EngineManager } from "./engines/engineManager.js";
import { defaultEngineDeps } from "./engines/openEngine.js";
import { createLogger, type Logger } from "./host/logger.js";
import { reportingHttpPolicy } from "./http/fetches.js";
import { startLanguageServer } from "./lsp/languageServer.js";
import type { Transport } from "./lsp/transport.js";

export async function serve(transport: Transport, logger: Logger = createLogger()): Promise<void> {
  const host = new AgentHost(logger);
  // One bad request must not take every open editor's agent down with it.
  process.on("uncaughtException", (error) => logger.error("uncaught exception (host stays up)", error));
  process.on("unhandledRejection", (reason) => logger.error("unhandled rejection (host stays up)", reason));
  // Every request the host sends goes through this one policy; its audit lines go to the host's log.
  const http = reportingHttpPolicy(
    (line) => logger.info(line),
    (line) => logger.warn(line),
  );
  const deps = defaultEngineDeps({ env: process.env, cwd: process.cwd(), log: logger, http });
  await startLanguageServer(host, new EngineManager(host, deps), transport, deps.store);
}
