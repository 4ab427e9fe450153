/** Builds the language client that runs the bundled agent host in a child Node process. */
import * as vscode from "vscode";
import {
  CloseAction,
  ErrorAction,
  LanguageClient,
  TransportKind,
  type LanguageClientOptions,
  type ServerOptions,
} from "vscode-languageclient/node";

export type HostClient = LanguageClient;

export function createHostClient(
  extension: vscode.ExtensionContext,
  log: vscode.LogOutputChannel,
  onCrash: () => void,
): HostClient {
  // `fork` runs the module with the Node that runs the extension host, so the native addons of
  // the engine load against the same ABI (node-llama-cpp is N-API, stable across versions).
  const module = extension.asAbsolutePath("server/dist/bora.mjs");
  const serverOptions: ServerOptions = {
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
