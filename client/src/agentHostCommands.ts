/**
 * **Bora: Connect to Remote Agent Host…** and **Bora: Use Local Agent Host**: the VS Code side of
 * choosing the host. The URL goes to the `bora.agentHost.url` setting, the token to secret storage
 * only; the decisions (what a valid URL is) are in `agentHostTarget.ts`.
 */
import * as vscode from "vscode";
import { AGENT_HOST_TOKEN_KEY, AGENT_HOST_URL_SETTING, checkAgentHostUrl } from "./agentHostTarget.js";
import type { Ctx } from "./ctx.js";

/**
 * User settings: the setting is machine-scoped, so a workspace cannot point this editor (and the
 * secrets it hands its host) at a host of the workspace's choosing.
 */
const WHERE = vscode.ConfigurationTarget.Global;

export async function connectRemoteHostCommand(ctx: Ctx): Promise<void> {
  const config = vscode.workspace.getConfiguration("bora");
  const url = await vscode.window.showInputBox({
    title: "Bora: Connect to Remote Agent Host (1/2)",
    prompt: "The agent host's URL (run it with: bora serve --websocket HOST:PORT --token-file F)",
    placeHolder: "ws://127.0.0.1:7007/lsp",
    value: config.get<string>(AGENT_HOST_URL_SETTING) ?? "",
    ignoreFocusOut: true,
    validateInput: (text) => (text.trim() === "" ? "Enter the host's ws:// or wss:// URL" : checkAgentHostUrl(text)),
  });
  if (url === undefined) return;
  const token = await vscode.window.showInputBox({
    title: "Bora: Connect to Remote Agent Host (2/2)",
    prompt:
      "The token in the host's --token-file (kept in VS Code's secret storage). Empty for a loopback host without one.",
    password: true,
    ignoreFocusOut: true,
  });
  if (token === undefined) return;
  const mark = ctx.startMark;
  if (token.trim() === "") await ctx.extension.secrets.delete(AGENT_HOST_TOKEN_KEY);
  else await ctx.extension.secrets.store(AGENT_HOST_TOKEN_KEY, token.trim());
  await config.update(AGENT_HOST_URL_SETTING, url.trim(), WHERE);
  // The settings listener may have reconnected already; this one also retries the same URL and token.
  await ctx.reconnect(mark);
}

export async function useLocalHostCommand(ctx: Ctx): Promise<void> {
  const config = vscode.workspace.getConfiguration("bora");
  const mark = ctx.startMark;
  await ctx.extension.secrets.delete(AGENT_HOST_TOKEN_KEY);
  await config.update(AGENT_HOST_URL_SETTING, undefined, WHERE);
  await ctx.reconnect(mark);
}
