/** The command table: each command id maps to a factory that gets the context. */
import * as vscode from "vscode";
import type { Ctx } from "./ctx.js";
import { pullModelCommand } from "./pullModel.js";
import { setRemoteApiKeyCommand } from "./secrets.js";

type CommandFactory = (ctx: Ctx) => (...args: unknown[]) => unknown;

export const COMMANDS: Record<string, CommandFactory> = {
  "bora.restartHost": (ctx) => () => ctx.restart(),
  "bora.showLogs": (ctx) => () => ctx.log.show(),
  "bora.pullModel": (ctx) => () => pullModelCommand(ctx.languageClient, ctx.log),
  "bora.setRemoteApiKey": (ctx) => () => setRemoteApiKeyCommand(ctx.extension.secrets),
};

export function registerCommands(ctx: Ctx): void {
  for (const [id, factory] of Object.entries(COMMANDS)) {
    ctx.pushExtension(vscode.commands.registerCommand(id, factory(ctx)));
  }
}
