/**
 * A pulled model put to use: the setting it goes into (`bora.models.chat` or `.edit`, in the user's
 * settings, by its store name), what the user is told, and the status-bar hint that keeps a pulled
 * but unused model in view. VS Code hides a notification with buttons after a while (only errors
 * stay), so the hint, not the toast, is what keeps the question open.
 */
import type { PullModelResult } from "@bora/protocol";
import * as vscode from "vscode";
import { OPEN_SETTINGS } from "./commandIds.js";
import type { Ctx } from "./ctx.js";
import { MODEL_SETTING, afterPull, isModelRole, type ModelRole, type ModelSettingsNow } from "./modelUse.js";

const ROLE_WORDS: Record<ModelRole, string> = { chat: "chat model", edit: "model for edits" };

function settingsNow(): ModelSettingsNow {
  const config = vscode.workspace.getConfiguration("bora");
  return {
    engine: config.get<string>("engine", "local"),
    chat: config.get<string>(MODEL_SETTING.chat, ""),
    edit: config.get<string>(MODEL_SETTING.edit, ""),
  };
}

/** Writes the store name into the role's user setting; resolves with the value it replaced there. */
async function writeModelSetting(role: ModelRole, name: string | undefined): Promise<string | undefined> {
  const config = vscode.workspace.getConfiguration("bora");
  const previous = config.inspect<string>(MODEL_SETTING[role])?.globalValue;
  await config.update(MODEL_SETTING[role], name, vscode.ConfigurationTarget.Global);
  return previous;
}

/** Uses the model for the role and drops the hint; the host picks the change up from the settings. */
export async function useModel(ctx: Ctx, name: string, role: ModelRole): Promise<void> {
  await writeModelSetting(role, name);
  if (ctx.statusBar.unusedModel === name) ctx.statusBar.unusedModel = undefined;
}

/** `bora.useModel` (buttons and links): with a role, uses the model for it; without, asks. */
export async function useModelCommand(ctx: Ctx, name: unknown, role: unknown): Promise<void> {
  if (typeof name !== "string" || name === "") return;
  if (isModelRole(role)) return useModel(ctx, name, role);
  const choices: { label: string; role: ModelRole | undefined }[] = [
    { label: "Use for Chat", role: "chat" },
    { label: "Use for Edits", role: "edit" },
    { label: "Not Now", role: undefined },
  ];
  const picked = await vscode.window.showQuickPick(choices, { title: `Bora: use ${name} for…` });
  if (picked === undefined) return;
  if (picked.role === undefined) {
    if (ctx.statusBar.unusedModel === name) ctx.statusBar.unusedModel = undefined;
    return;
  }
  await useModel(ctx, name, picked.role);
}

/** After a pull: puts the model to use where nothing else runs, or offers it, and says which. */
export async function tellPulled(ctx: Ctx, result: PullModelResult): Promise<void> {
  const name = result.name;
  const stored = result.alreadyPresent ? "was already in the model store" : "is in the model store";
  const outcome = afterPull(name, settingsNow());
  switch (outcome.kind) {
    case "useForChat": {
      const previous = await writeModelSetting("chat", name);
      const choice = await vscode.window.showInformationMessage(
        `Bora: ${name} ${stored} and is now the chat model (bora.models.chat).`,
        "Undo",
        "Change…",
      );
      if (choice === "Undo") await writeModelSetting("chat", previous);
      if (choice === "Change…") await vscode.commands.executeCommand(OPEN_SETTINGS, "bora.models.chat");
      return;
    }
    case "inUse": {
      const roles = outcome.roles.map((role) => ROLE_WORDS[role]).join(" and the ");
      void vscode.window.showInformationMessage(`Bora: ${name} ${stored}; it is already the ${roles}.`);
      return;
    }
    case "remoteEngine": {
      const choice = await vscode.window.showInformationMessage(
        `Bora: ${name} ${stored}. The remote engine runs its server's models, not the store's: set bora.engine to local to use it.`,
        "Open Settings",
      );
      if (choice) await vscode.commands.executeCommand(OPEN_SETTINGS, "bora.engine");
      return;
    }
    case "offer": {
      ctx.statusBar.unusedModel = name;
      const choice = await vscode.window.showInformationMessage(
        `Bora: ${name} ${stored}. Use it for chat or for edits?`,
        "Use for Chat",
        "Use for Edits",
      );
      const role = choice === "Use for Chat" ? "chat" : choice === "Use for Edits" ? "edit" : undefined;
      if (role !== undefined) await useModel(ctx, name, role);
      // Closed without a choice: the user has seen it and said no.
      else if (ctx.statusBar.unusedModel === name) ctx.statusBar.unusedModel = undefined;
      return;
    }
  }
}

/** Drops the hint once a setting names the model, however it got there (the settings editor, another window). */
export function dropHintWhenUsed(ctx: Ctx): vscode.Disposable {
  return vscode.workspace.onDidChangeConfiguration((event) => {
    const name = ctx.statusBar.unusedModel;
    if (name === undefined || !event.affectsConfiguration("bora.models")) return;
    const settings = settingsNow();
    if (settings.chat === name || settings.edit === name) ctx.statusBar.unusedModel = undefined;
  });
}
