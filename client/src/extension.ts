/** Activation only: build the context, register the commands, start the host. */
import type * as vscode from "vscode";
import { registerCommands } from "./commands.js";
import { Ctx } from "./ctx.js";

let ctx: Ctx | undefined;

export async function activate(extension: vscode.ExtensionContext): Promise<void> {
  ctx = new Ctx(extension);
  extension.subscriptions.push(ctx);
  registerCommands(ctx);
  await ctx.start();
}

export async function deactivate(): Promise<void> {
  await ctx?.stop();
  ctx = undefined;
}
