/**
 * **Bora: Configure Integrations…**: a short guided flow per service (`integrationSetup.ts`). The
 * settings go to the user's settings, the token to VS Code's secret storage (handed to the host
 * sealed), then one cheap authenticated call checks it and says who you are or what is wrong.
 * GitHub on github.com can use VS Code's own GitHub sign-in instead of a pasted token.
 */
import { CheckIntegration, ListTasks } from "@bora/protocol";
import * as vscode from "vscode";
import type { Ctx } from "../ctx.js";
import type { HostClient } from "../hostClient.js";
import { problemOfError } from "../problemActions.js";
import { sendSecrets, storageKeyOf } from "../secrets.js";
import { showActions } from "../showProblem.js";
import { checkSummary, SETUP_FLOWS, teamCheckSummary, type SetupFlow } from "./integrationSetup.js";

/** Scopes asked of VS Code's GitHub sign-in: issues, pushes and pull requests of private repositories. */
const GITHUB_SESSION_SCOPES = ["repo"];

async function githubSessionToken(): Promise<string | undefined> {
  const session = await vscode.authentication.getSession("github", GITHUB_SESSION_SCOPES, { createIfNone: true });
  return session.accessToken;
}

/** Asks the flow's questions; undefined when the user gave up (Escape). Nothing is written before the last answer. */
async function ask(flow: SetupFlow): Promise<Map<string, string> | undefined> {
  const settings = vscode.workspace.getConfiguration("bora");
  const answers = new Map<string, string>();
  for (const [i, field] of flow.fields.entries()) {
    const key = "setting" in field.target ? field.target.setting : field.target.secret;
    if (!("setting" in field.target) && flow.choice === "github") {
      const how = await vscode.window.showQuickPick(
        [
          { label: "Paste a token", id: "token" },
          { label: "Use my GitHub account in VS Code", id: "session", detail: "VS Code asks you to sign in" },
        ],
        { title: `Bora: ${flow.label} (${i + 1}/${flow.fields.length})`, ignoreFocusOut: true },
      );
      if (how === undefined) return undefined;
      if (how.id === "session") {
        const value = await githubSessionToken();
        if (value === undefined) return undefined;
        answers.set(key, value);
        continue;
      }
    }
    const current = "setting" in field.target ? settings.get<string>(field.target.setting) : undefined;
    const value = await vscode.window.showInputBox({
      title: `Bora: ${flow.label} (${i + 1}/${flow.fields.length})`,
      prompt: field.prompt,
      ...(field.placeHolder !== undefined && { placeHolder: field.placeHolder }),
      value: current || field.defaultValue || "",
      password: field.password === true,
      ignoreFocusOut: true,
      ...(field.validate !== undefined && { validateInput: (v: string) => field.validate!(v) }),
    });
    if (value === undefined) return undefined;
    answers.set(key, value.trim());
  }
  return answers;
}

export async function configureIntegrationsCommand(ctx: Ctx, client: HostClient, choice?: unknown): Promise<void> {
  const flow =
    SETUP_FLOWS.find((f) => f.choice === choice) ??
    (
      await vscode.window.showQuickPick(
        SETUP_FLOWS.map((f) => ({ label: f.label, detail: f.detail, flow: f })),
        { title: "Bora: Configure Integrations", placeHolder: "Which service?", ignoreFocusOut: true },
      )
    )?.flow;
  if (flow === undefined) return;
  const answers = await ask(flow);
  if (answers === undefined) return;

  const settings = vscode.workspace.getConfiguration("bora");
  for (const key of flow.clear ?? []) await settings.update(key, undefined, vscode.ConfigurationTarget.Global);
  for (const field of flow.fields) {
    if ("setting" in field.target) {
      await settings.update(field.target.setting, answers.get(field.target.setting), vscode.ConfigurationTarget.Global);
    } else {
      await ctx.extension.secrets.store(storageKeyOf(field.target.secret), answers.get(field.target.secret)!);
    }
  }
  // Hand the token over now rather than on the storage's change event, so the check below uses it.
  await sendSecrets(client, ctx.extension.secrets, ctx.log, false);
  try {
    const service = flow.service;
    const { ok, message } = await vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: `Bora: checking ${flow.label}…` },
      async () =>
        service === "team"
          ? teamCheckSummary(flow.label, await client.sendRequest(ListTasks.type, {}))
          : checkSummary(flow.label, await client.sendRequest(CheckIntegration.type, { service })),
    );
    // Not awaited: a message resolves only when dismissed, and the list should follow the change now.
    void showActions(ok ? "info" : "warning", `Bora: ${message}`, []);
  } catch (error) {
    void showActions("error", `Bora: ${problemOfError(error).message}`, []);
  }
  if (flow.service === "team") await ctx.sidebar.refreshTasks();
  else await ctx.sidebar.refreshWorkItems();
}
