/**
 * The remote engine's API key and the integrations' tokens: kept in VS Code's secret storage (the OS keychain where there is
 * one), never in settings, and handed to the agent host sealed (see `sealedSecret.ts` in
 * protocol/) after every host start and on every change, from this window or another.
 */
import { SetSecret, sealSecret, type BoraServerCapabilities, type SecretName } from "@bora/protocol";
import * as vscode from "vscode";
import type { HostClient } from "./hostClient.js";

/** Where the key lives in `ExtensionContext.secrets`, and its name on the wire. */
const STORED: Record<SecretName, string> = {
  "remote.apiKey": "bora.remote.apiKey",
  "github.token": "bora.github.token",
  "jira.token": "bora.jira.token",
  "sentry.token": "bora.sentry.token",
  "slack.token": "bora.slack.token",
  "team.databaseUrl": "bora.team.databaseUrl",
};

/** Where a secret is kept in `ExtensionContext.secrets`. */
export function storageKeyOf(name: SecretName): string {
  return STORED[name];
}

function secretKeyOf(client: HostClient): string | undefined {
  const experimental = client.initializeResult?.capabilities.experimental as
    { bora?: Partial<BoraServerCapabilities> } | undefined;
  return experimental?.bora?.secretKey;
}

/**
 * Sends the stored secrets to a running host. `clearMissing`: also tell it to forget one that is
 * no longer stored (after a change; at start the host has none to forget).
 */
export async function sendSecrets(
  client: HostClient | undefined,
  storage: vscode.SecretStorage,
  log: vscode.LogOutputChannel,
  clearMissing: boolean,
): Promise<void> {
  if (client === undefined || !client.isRunning()) return;
  const recipient = secretKeyOf(client);
  for (const [name, stored] of Object.entries(STORED) as [SecretName, string][]) {
    const value = await storage.get(stored);
    if (value === undefined && !clearMissing) continue;
    if (recipient === undefined) {
      log.warn(`The agent host does not take secrets; ${name} was not sent. Update the host.`);
      return;
    }
    try {
      await client.sendRequest(SetSecret.type, {
        name,
        sealed: value === undefined ? null : sealSecret(recipient, name, value),
      });
    } catch (error) {
      log.error(`Handing ${name} to the agent host failed: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
}

/** Whether a secret change event concerns one of Bora's secrets. */
export function isBoraSecret(key: string): boolean {
  return Object.values(STORED).includes(key);
}

/** `Bora: Set Remote API Key…`: asks for the key (hidden), stores it, or removes it when left empty. */
export async function setRemoteApiKeyCommand(storage: vscode.SecretStorage): Promise<void> {
  const value = await vscode.window.showInputBox({
    title: "Bora: Remote API Key",
    prompt:
      "The API key of the remote engine's server (bora.remote.baseUrl). It is kept in VS Code's secret storage. Leave it empty to remove the key.",
    password: true,
    ignoreFocusOut: true,
  });
  if (value === undefined) return;
  const key = value.trim();
  if (key === "") {
    await storage.delete(STORED["remote.apiKey"]);
    void vscode.window.showInformationMessage("Bora: the remote API key was removed.");
  } else {
    await storage.store(STORED["remote.apiKey"], key);
    void vscode.window.showInformationMessage("Bora: the remote API key was saved in VS Code's secret storage.");
  }
}
