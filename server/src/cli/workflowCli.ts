/**
 * The durable-workflow host of a `bora issue` / `bora tasks` process: the lock, the database and DBOS
 * (see `WorkflowHost`), with services built from this process's environment (tokens, base URLs) and
 * the engine each task names. Opening it resumes this host's unfinished tasks.
 */
import { openEngine } from "../engines/openEngine.js";
import { integrationConfigFromEnv } from "../integrations/config.js";
import type { DurableTaskInput, IssueToPrServices } from "../workflows/issueToPr.js";
import { createIssueToPrServices } from "../workflows/services.js";
import { WorkflowHost } from "../workflows/workflowHost.js";
import { Spawner } from "../workspace/spawner.js";
import { resolveStateDir } from "../workspace/stateDir.js";
import type { Logger } from "../host/logger.js";
import type { CliIO } from "./command.js";
import { cliEngineDeps } from "./engineFlags.js";
import { cliHttpPolicy } from "./httpPolicy.js";

export interface CliWorkflows {
  host: WorkflowHost;
  stateDir: string;
  spawner: Spawner;
  close(): Promise<void>;
}

/** Watches one task run in this process (`bora worker`'s log lines): from its start or resumption here to its end. */
export interface TaskObserver {
  onStatus?: IssueToPrServices["onStatus"];
  /** The run in this process is over (ended, cancelled, or shut down). */
  ended?(): void;
}

/** The workflow code's log on stderr, as `PREFIX: warning: …`; info and debug only with `BORA_LOG_LEVEL=debug`. */
export function cliWorkflowLog(io: CliIO, prefix: string): Pick<Logger, "error" | "warn" | "info" | "debug"> {
  const say = (level: string) => (message: string) => void io.stderr.write(`${prefix}: ${level}${message}\n`);
  const debug = io.env["BORA_LOG_LEVEL"] === "debug" ? say("debug: ") : () => {};
  return {
    error: (message: string, error?: unknown) =>
      say("error: ")(
        error === undefined ? message : `${message}: ${error instanceof Error ? error.message : String(error)}`,
      ),
    warn: say("warning: "),
    info: debug,
    debug,
  };
}

export async function openCliWorkflows(
  io: CliIO,
  prefix: string,
  options: {
    concurrency?: number;
    /** Tasks the whole team runs at once (`bora worker --team-concurrency`). */
    globalConcurrency?: number;
    onStatus?: IssueToPrServices["onStatus"];
    observe?: (input: DurableTaskInput) => TaskObserver;
  } = {},
): Promise<CliWorkflows> {
  const stateDir = resolveStateDir(io.env, io.cwd);
  // Every child (postgres, git, checks, sandboxed commands) starts here, so none outlives the command.
  const spawner = new Spawner();
  const log = cliWorkflowLog(io, prefix);
  const databaseUrl = io.env["BORA_DATABASE_URL"]?.trim() || undefined;
  // A team upgrading its hosts one by one keeps them on one version until all run the new code.
  const applicationVersion = io.env["BORA_WORKFLOW_VERSION"]?.trim() || undefined;
  try {
    const host = await WorkflowHost.open({
      stateDir,
      ...(databaseUrl !== undefined && { databaseUrl }),
      spawner,
      log,
      env: io.env,
      ...(options.concurrency !== undefined && { concurrency: options.concurrency }),
      ...(options.globalConcurrency !== undefined && { globalConcurrency: options.globalConcurrency }),
      ...(applicationVersion !== undefined && { applicationVersion }),
      services: async (input) => {
        const observer = options.observe?.(input);
        const onStatus = [options.onStatus, observer?.onStatus].filter((f) => f !== undefined);
        const engine = await openEngine(input.engine, cliEngineDeps(io, prefix));
        const services = createIssueToPrServices({
          config: integrationConfigFromEnv(io.env),
          policy: cliHttpPolicy(io.stderr, { quiet: true }),
          engine,
          spawner,
          stateDir,
          env: io.env,
          ...(onStatus.length > 0 && { onStatus: (status) => onStatus.forEach((f) => f(status)) }),
        });
        return {
          ...services,
          dispose: async () => {
            try {
              await engine.dispose();
            } finally {
              observer?.ended?.();
            }
          },
        };
      },
    });
    return {
      host,
      stateDir,
      spawner,
      close: async () => {
        try {
          await host.close();
        } finally {
          await spawner.close();
        }
      },
    };
  } catch (error) {
    await spawner.close();
    throw error;
  }
}
