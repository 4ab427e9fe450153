/**
 * Which agent host the extension talks to, and what it tells the user when that goes wrong. Pure
 * (no `vscode` import, no sockets) so every decision is tested without VS Code; `hostClient.ts`
 * opens the connection, `ctx.ts` shows the notices.
 */
import { BORA_COMMANDS } from "./commandIds.js";
import { OPEN_LOGS, type Action } from "./problemActions.js";

/** The bundled host, spawned by the extension; or a host that runs elsewhere, reached over a WebSocket. */
export type AgentHostTarget =
  | { kind: "local" }
  | {
      kind: "remote";
      /** As the setting has it, trimmed. */
      url: string;
      /** `host:port`, for the status bar and the sidebar. */
      label: string;
    };

export const LOCAL_HOST: AgentHostTarget = { kind: "local" };

/** The secret-storage key of the remote host's token (not a host secret: it is never sent to the host as `bora/setSecret`). */
export const AGENT_HOST_TOKEN_KEY = "bora.agentHost.token";

/** The setting that names the remote host. */
export const AGENT_HOST_URL_SETTING = "agentHost.url";

/** Reads `bora.agentHost.url`: empty means the local host; anything else must be a ws:// or wss:// URL. */
export function agentHostTarget(setting: unknown): { target: AgentHostTarget } | { error: string } {
  if (setting === undefined || setting === null) return { target: LOCAL_HOST };
  if (typeof setting !== "string") return { error: "bora.agentHost.url must be a string (a ws:// or wss:// URL)" };
  const text = setting.trim();
  if (text === "") return { target: LOCAL_HOST };
  const checked = checkAgentHostUrl(text);
  if (checked !== undefined) return { error: `bora.agentHost.url: ${checked}` };
  const url = new URL(text);
  const port = url.port || (url.protocol === "wss:" ? "443" : "80");
  return { target: { kind: "remote", url: text, label: `${url.hostname}:${port}` } };
}

/** Why `text` is not a usable host URL, or undefined when it is (the input box's validation). */
export function checkAgentHostUrl(text: string): string | undefined {
  let url: URL;
  try {
    url = new URL(text.trim());
  } catch {
    return `${JSON.stringify(text)} is not a URL; expected e.g. ws://127.0.0.1:7007/lsp`;
  }
  if (url.protocol === "http:" || url.protocol === "https:")
    return `use ${url.protocol === "https:" ? "wss" : "ws"}:// instead of ${url.protocol}// (the host speaks WebSocket)`;
  if (url.protocol !== "ws:" && url.protocol !== "wss:") return `${url.protocol}// is not ws:// or wss://`;
  // A token in the URL would sit in settings.json in clear; it belongs in secret storage.
  if (url.username !== "" || url.password !== "")
    return "put no user or token in the URL; Bora keeps the token in secret storage";
  return undefined;
}

/** Why connecting to a remote host failed, as far as the user can do something about it. */
export type ConnectFailure =
  | { kind: "unreachable"; reason: string }
  | { kind: "unauthorized" }
  | { kind: "busy" }
  | { kind: "refused"; status: number; reason: string }
  | { kind: "lost" };

/** What a refused upgrade's HTTP status means. */
export function failureOfStatus(status: number, body: string): ConnectFailure {
  if (status === 401 || status === 403) return { kind: "unauthorized" };
  if (status === 409) return { kind: "busy" };
  return { kind: "refused", status, reason: body.trim() };
}

/** A socket error's words: its code when Node gave one (ECONNREFUSED, ENOTFOUND), else its message. */
export function reasonOfError(error: unknown): string {
  const code = (error as { code?: unknown } | undefined)?.code;
  const message = error instanceof Error ? error.message : String(error);
  return typeof code === "string" && !message.includes(code) ? `${code} (${message})` : message;
}

export const RETRY: Action = { title: "Retry", command: BORA_COMMANDS.restartHost.id, args: [] };
export const CONNECT_REMOTE: Action = {
  title: "Connect to Remote Agent Host…",
  command: BORA_COMMANDS.connectRemoteHost.id,
  args: [],
};
export const USE_LOCAL: Action = { title: "Use Local Agent Host", command: BORA_COMMANDS.useLocalHost.id, args: [] };

export interface FailureNotice {
  message: string;
  /**
   * The buttons, the likeliest fix first. Two at most: a toast truncates a third ("Re…"), and
   * both commands are in the palette anyway.
   */
  actions: Action[];
}

/** The notification for a failure to reach or keep the remote host at `url`. */
export function failureNotice(url: string, failure: ConnectFailure): FailureNotice {
  switch (failure.kind) {
    case "unreachable":
      return {
        message: `Could not reach the Bora agent host at ${url}: ${failure.reason}`,
        actions: [RETRY, CONNECT_REMOTE],
      };
    case "unauthorized":
      return {
        message: `The Bora agent host at ${url} refused the token: set it with Bora: Connect to Remote Agent Host…`,
        actions: [CONNECT_REMOTE, RETRY],
      };
    case "busy":
      return {
        message: `The Bora agent host at ${url} is busy: another editor is connected, and it serves one at a time.`,
        actions: [RETRY, USE_LOCAL],
      };
    case "refused":
      return {
        message: `The Bora agent host at ${url} refused the connection (HTTP ${failure.status}${
          failure.reason ? `: ${failure.reason}` : ""
        }). Is the URL right (the path is /lsp)?`,
        actions: [CONNECT_REMOTE, RETRY],
      };
    case "lost":
      return {
        message: `Bora lost the connection to the agent host at ${url}.`,
        actions: [RETRY, OPEN_LOGS],
      };
  }
}

/** How the status bar and the sidebar name the host in use; undefined for the local one (the usual case says nothing). */
export function hostLabel(target: AgentHostTarget): string | undefined {
  return target.kind === "remote" ? `remote ${target.label}` : undefined;
}
