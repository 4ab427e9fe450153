/**
 * Wiring only: builds the host and its engines and puts them on a transport. Logic lives in
 * `host/`, `engines/` and `lsp/`.
 */
import { AgentHost } from "./host/agentHost.js";
import { EngineManager } from "./engines/engineManager.js";
import { defaultEngineDeps } from "./engines/openEngine.js";
import { createLogger, type Logger } from "./host/logger.js";
import { startLanguageServer } from "./lsp/languageServer.js";
import type { Transport } from "./lsp/transport.js";

export async function serve(transport: Transport, logger: Logger = createLogger()): Promise<void> {
  const host = new AgentHost(logger);
  // One bad request must not take every open editor's agent down with it.
  process.on("uncaughtException", (error) => logger.error("uncaught exception (host stays up)", error));
  process.on("unhandledRejection", (reason) => logger.error("unhandled rejection (host stays up)", reason));
  const engines = new EngineManager(host, defaultEngineDeps({ env: process.env, cwd: process.cwd(), log: logger }));
  await startLanguageServer(host, engines, transport);
}
