/**
 * The LSP face of the agent host: thin handlers that translate LSP into calls on `AgentHost`.
 */
import {
  DEFAULT_SETTINGS,
  PROTOCOL_VERSION,
  TaskUpdated,
  SecretOpener,
  Status,
  Version,
  protocolCompatible,
  settingsFrom,
  type BoraServerCapabilities,
  type VersionResult,
} from "@bora/protocol";
import type { ModelStore } from "@bora/inference";
import { TextDocument } from "vscode-languageserver-textdocument";
import {
  DidChangeConfigurationNotification,
  TextDocumentSyncKind,
  TextDocuments,
  createConnection,
  type Connection,
  type InitializeResult,
} from "vscode-languageserver/node";
import { createConnection as createConnectionWithWatchDog, createProtocolConnection } from "vscode-languageserver";
import type { AgentHost } from "../host/agentHost.js";
import type { EngineManager } from "../engines/engineManager.js";
import { stderrSink } from "../host/logger.js";
import { HOST_VERSION } from "../version.js";
import { registerCompletionHandlers } from "./completionHandlers.js";
import { registerEditHandlers } from "./editHandlers.js";
import { registerModelHandlers } from "./modelHandlers.js";
import { onCheckedRequest } from "./params.js";
import { registerSecretHandlers } from "./secretHandlers.js";
import { connectionTaskClient, registerTaskHandlers } from "./taskHandlers.js";
import { cancelDurableTask, registerDurableTaskHandlers, startBackgroundTask } from "./durableTaskHandlers.js";
import { registerIntegrationHandlers } from "./integrationHandlers.js";
import { editorIntegrationConfig, editorServiceConfigs, IntegrationSecrets } from "../integrations/editorConfig.js";
import { DurableTasks } from "../tasks/durableTasks.js";
import { ApprovalMemory } from "../tasks/approvalMemory.js";
import { TaskManager } from "../tasks/taskManager.js";
import { unsavedChangesGuard } from "../tasks/unsavedGuard.js";
import { resolveStateDir } from "../workspace/stateDir.js";
import { describeTransport, openTransport, type Transport, type TransportStreams } from "./transport.js";

export interface RunningServer {
  connection: Connection;
  documents: TextDocuments<TextDocument>;
}

/**
 * What ends with the connection. The process's own connection (stdio, ipc, socket, pipe) ends the
 * process, as editors expect of a server they started. A session of `bora serve --websocket` ends
 * only itself: it releases what it opened and the process waits for the next editor.
 */
type ConnectionEnd = { kind: "process" } | { kind: "session"; ended: () => void };

/** Runs the host on the process's one transport; the connection's end is the process's end. */
export async function startLanguageServer(
  host: AgentHost,
  engines: EngineManager,
  transport: Transport,
  models: ModelStore,
): Promise<RunningServer> {
  const streams = await openTransport(transport, (reason) => host.logger.warn(`LSP input: ${reason}`));
  return runLanguageServer(host, engines, streams, describeTransport(transport), models, { kind: "process" });
}

/**
 * Runs one session of a host that outlives its clients; resolves once the session has ended
 * (`exit`, or the connection closed) and released its engines, tasks, workflows and children.
 */
export function runSession(
  host: AgentHost,
  engines: EngineManager,
  streams: TransportStreams,
  description: string,
  models: ModelStore,
): Promise<void> {
  return new Promise((ended) => {
    runLanguageServer(host, engines, streams, description, models, { kind: "session", ended: () => ended() });
  });
}

/**
 * A connection whose `exit` does not end the process (the library's node connection calls
 * `process.exit`), and that ignores the client's process id: on a remote host that id names a
 * process of another machine, and the library's watch on it would end the host within seconds.
 */
function sessionConnection(streams: TransportStreams, onExit: () => void): Connection {
  let shutdownReceived = false;
  // The library hands the connection's own console as the logger of the JSON-RPC layer; a failed
  // send would then log over the failing connection, fail again, and loop for good (seen when a
  // socket is closing). The layer's own complaints go to stderr instead.
  const wireLog = {
    error: (message: string) => stderrSink.write("error", `LSP: ${message}`),
    warn: (message: string) => stderrSink.write("warn", `LSP: ${message}`),
    info: (message: string) => stderrSink.write("info", `LSP: ${message}`),
    log: (message: string) => stderrSink.write("debug", `LSP: ${message}`),
  };
  return createConnectionWithWatchDog(() => createProtocolConnection(streams.reader, streams.writer, wireLog), {
    get shutdownReceived() {
      return shutdownReceived;
    },
    set shutdownReceived(value: boolean) {
      shutdownReceived = value;
    },
    initialize: () => undefined,
    exit: () => onExit(),
  });
}

function runLanguageServer(
  host: AgentHost,
  engines: EngineManager,
  streams: TransportStreams,
  description: string,
  models: ModelStore,
  end: ConnectionEnd,
): RunningServer {
  const { logger } = host;
  // Assigned below, once the parts a session releases exist; `exit` cannot arrive before `listen()`.
  let endSession: () => void = () => undefined;
  const connection =
    end.kind === "process"
      ? createConnection(streams.reader, streams.writer)
      : sessionConnection(streams, () => endSession());
  const documents = new TextDocuments(TextDocument);
  const secrets = new SecretOpener();
  /** The trackers' and Slack's credentials from the editor's secret storage. */
  const integrationSecrets = new IntegrationSecrets();
  let canPullConfiguration = false;
  let greeting = "";
  /** Settings given in `initializationOptions.settings`, for LSP clients that cannot answer workspace/configuration. */
  let initialSettings: unknown;
  /** The client's workspace folders (URIs): from `initialize`, then from its change notifications. */
  let workspaceFolders: string[] = [];
  let canFollowFolders = false;
  /** The client answers `bora/requestApproval` and `bora/askUser` (it said so in `initializationOptions`). */
  let canAsk = false;

  connection.onInitialize((params): InitializeResult => {
    canPullConfiguration = params.capabilities.workspace?.configuration === true;
    const options = params.initializationOptions as { settings?: unknown; questions?: unknown } | undefined;
    initialSettings = options?.settings;
    canAsk = options?.questions === true;
    workspaceFolders =
      params.workspaceFolders?.map((f) => f.uri) ?? (typeof params.rootUri === "string" ? [params.rootUri] : []);
    canFollowFolders = params.capabilities.workspace?.workspaceFolders === true;
    const client = [params.clientInfo?.name ?? "an unnamed client", params.clientInfo?.version]
      .filter(Boolean)
      .join(" ");
    // Logged once the client's console is the sink: stderr lines show up as errors in VS Code.
    greeting = `initialize from ${client} over ${description}`;
    return {
      capabilities: {
        textDocumentSync: { openClose: true, change: TextDocumentSyncKind.Incremental },
        inlineCompletionProvider: true,
        workspace: { workspaceFolders: { supported: true, changeNotifications: true } },
        experimental: {
          bora: {
            protocolVersion: PROTOCOL_VERSION,
            capabilities: host.capabilities,
            secretKey: secrets.publicKey,
          } satisfies BoraServerCapabilities,
        },
      },
      serverInfo: { name: "bora-agent-host", version: HOST_VERSION },
    };
  });

  const pullSettings = async (): Promise<void> => {
    const raw: unknown = canPullConfiguration ? await connection.workspace.getConfiguration("bora") : initialSettings;
    const { settings, warnings } = settingsFrom(raw);
    for (const warning of warnings) logger.warn(`settings: ${warning}`);
    logger.setLevel(settings.host.logLevel);
    await engines.apply(settings);
  };

  connection.onInitialized(() => {
    // From here on the client's console is the log: stdout is the wire on stdio.
    logger.setSink({
      write: (level, line) => {
        try {
          const console = connection.console;
          if (level === "error") console.error(line);
          else if (level === "warn") console.warn(line);
          else if (level === "info") console.info(line);
          else console.log(line);
        } catch {
          // The connection is closing; the line still deserves a place.
          stderrSink.write(level, line);
        }
      },
    });
    logger.info(greeting);
    if (canPullConfiguration) {
      void connection.client.register(DidChangeConfigurationNotification.type, { section: "bora" });
    }
    if (canFollowFolders) {
      connection.workspace.onDidChangeWorkspaceFolders(({ added, removed }) => {
        const gone = new Set(removed.map((f) => f.uri));
        workspaceFolders = [...workspaceFolders.filter((uri) => !gone.has(uri)), ...added.map((f) => f.uri)];
      });
    }
    pullSettings().catch((error: unknown) => logger.warn(`could not read settings: ${String(error)}`));
    host.setState("ready");
  });

  connection.onDidChangeConfiguration(() => {
    pullSettings().catch((error: unknown) => logger.warn(`could not read settings: ${String(error)}`));
  });

  const statusUpdates = host.onStatus((status) => {
    void connection.sendNotification(Status.type, status);
  });

  onCheckedRequest(
    connection,
    Version,
    (params): VersionResult => {
      const claimed = params.clientProtocolVersion;
      // A client that does not say which version it speaks gives the host nothing to disagree with.
      const compatible = claimed === undefined || protocolCompatible(claimed, PROTOCOL_VERSION);
      if (!compatible) logger.warn(`client speaks protocol ${claimed}, this host ${PROTOCOL_VERSION}`);
      return {
        hostVersion: HOST_VERSION,
        protocolVersion: PROTOCOL_VERSION,
        compatible,
        capabilities: host.capabilities,
      };
    },
    logger,
  );

  const stateDir = resolveStateDir(process.env, process.cwd());
  const tasks = new TaskManager({
    client: connectionTaskClient(connection, () => canAsk),
    spawner: host.spawner,
    stateDir,
    approvals: ApprovalMemory.inStateDir(stateDir),
    settings: () => (engines.settings ?? DEFAULT_SETTINGS).agent,
    writeGuard: unsavedChangesGuard(() => documents.all()),
    logger,
    secrets: () => [...engines.heldSecrets(), ...integrationSecrets.all()],
  });
  const integrations = {
    refresh: pullSettings,
    settings: () => (engines.settings ?? DEFAULT_SETTINGS).integrations,
    configs: () =>
      editorServiceConfigs((engines.settings ?? DEFAULT_SETTINGS).integrations, integrationSecrets, process.env),
    config: () =>
      editorIntegrationConfig((engines.settings ?? DEFAULT_SETTINGS).integrations, integrationSecrets, process.env),
  };

  const durable = new DurableTasks({
    stateDir,
    spawner: host.spawner,
    logger,
    env: process.env,
    engines,
    workflowSettings: () => (engines.settings ?? DEFAULT_SETTINGS).workflows,
    agentSettings: () => (engines.settings ?? DEFAULT_SETTINGS).agent,
    update: (params) => void connection.sendNotification(TaskUpdated.type, params),
    integrationConfig: integrations.config,
    teamDatabaseUrl: () => integrationSecrets.get("team.databaseUrl"),
  });

  let released: Promise<void> | undefined;
  /** Puts away everything this connection opened; once, however many ways the end arrives. */
  const release = (): Promise<void> =>
    (released ??= (async () => {
      try {
        // A task's last update says it was cancelled, and its commands end with it.
        await tasks.dispose();
        // Durable tasks stay recorded: they stop at their step and resume on the next open.
        await durable.dispose();
        await engines.dispose();
      } finally {
        // Every child process ends even when an engine fails to close.
        await host.stop();
      }
    })());

  connection.onShutdown(async () => {
    logger.info("shutdown requested");
    await release();
  });

  if (end.kind === "session") {
    let ending = false;
    endSession = () => {
      if (ending) return;
      ending = true;
      logger.setSink(stderrSink);
      // Nobody is left to tell: the state changes of the release below stay in this process.
      statusUpdates.dispose();
      streams.close();
      // The client is gone: what it started has no one to report to. Tasks' last updates would
      // go to a closed connection, so a failure to send them is expected here.
      void release()
        .catch((error: unknown) => logger.error("could not release the session", error))
        .finally(() => {
          connection.dispose();
          end.ended();
        });
    };
  }

  connection.onExit(() => {
    // The library ends the process right after this handler: what `shutdown` did not end (no
    // shutdown came, or it is still waiting out its grace period) is killed now, synchronously.
    // A session's watchdog ends the session instead, releasing the rest.
    host.stopNow();
    streams.close();
  });

  // When the client goes away without shutdown/exit (its process died, the pipe broke), stop what
  // the host started and leave with a failure code, as the LSP spec asks for an exit without shutdown.
  streams.reader.onClose(() => {
    logger.setSink(stderrSink);
    if (end.kind === "session") {
      if (host.status().host !== "stopping") logger.warn("the client closed the connection; ending its session");
      endSession();
      return;
    }
    if (host.status().host === "stopping") return;
    logger.warn("the client closed the connection without shutdown; stopping");
    void durable
      .dispose()
      .catch((error: unknown) => logger.error("could not close the workflows", error))
      .then(() => engines.dispose())
      .catch((error: unknown) => logger.error("could not close the engines", error))
      .then(() => host.stop())
      .finally(() => process.exit(1));
  });

  registerModelHandlers(connection, engines, logger, models);
  registerSecretHandlers(connection, engines, logger, secrets, integrationSecrets);
  registerCompletionHandlers(connection, documents, engines, logger);
  registerEditHandlers(connection, host, engines, documents, () => workspaceFolders);
  registerTaskHandlers(
    connection,
    host,
    engines,
    documents,
    tasks,
    () => workspaceFolders,
    cancelDurableTask(durable),
    startBackgroundTask(durable, host, engines),
  );
  registerDurableTaskHandlers(connection, host, engines, tasks, durable, () => workspaceFolders);
  registerIntegrationHandlers(connection, host, integrations, () => workspaceFolders);
  documents.listen(connection);
  connection.listen();
  return { connection, documents };
}
