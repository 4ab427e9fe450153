export { AgentHost } from "./host/agentHost.js";
export { createLogger, type Logger } from "./host/logger.js";
export { runCli } from "./cli/run.js";
export { serve } from "./main.js";
export { HOST_VERSION } from "./version.js";
export * from "./agent/index.js";
export * from "./integrations/index.js";
export * from "./engineServer/index.js";
export * from "./engines/index.js";
