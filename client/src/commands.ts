/**
 * The command table: each command (its id from `commandIds.ts`) maps to a factory that gets the
 * context. A command that talks to the host is wrapped in `withHost`, the one place that explains a
 * host that is not running, so no handler has to.
 */
import * as vscode from "vscode";
import { BORA_COMMANDS, commandLabel, type CommandName } from "./commandIds.js";
import type { Ctx } from "./ctx.js";
import type { HostClient } from "./hostClient.js";
import { OPEN_LOGS, RESTART_HOST } from "./problemActions.js";
import {
  acceptEditCommand,
  acceptHunkCommand,
  editSelectionCommand,
  fixProblemCommand,
  rejectEditCommand,
  rejectHunkCommand,
} from "./inlineEdit/commands.js";
import { connectRemoteHostCommand, useLocalHostCommand } from "./agentHostCommands.js";
import { configureIntegrationsCommand } from "./integrations/configureIntegrations.js";
import { pullModelCommand } from "./pullModel.js";
import { setRemoteApiKeyCommand } from "./secrets.js";
import { showActions } from "./showProblem.js";
import { useModelCommand } from "./useModel.js";
import { cancelTaskCommand, runTaskCommand, selectionTaskCommand } from "./tasks/taskCommands.js";

type CommandFactory = (ctx: Ctx) => (...args: unknown[]) => unknown;

/**
 * Wraps a handler that needs the host. One that is starting is waited for; one that is not
 * running is explained, with buttons that restart it or show why it stopped.
 */
function withHost(
  name: CommandName,
  handler: (ctx: Ctx, client: HostClient, ...args: unknown[]) => unknown,
): CommandFactory {
  return (ctx) =>
    async (...args) => {
      const client = await ctx.settledClient();
      if (client !== undefined) return handler(ctx, client, ...args);
      await showActions("warning", `Bora: ${commandLabel(name)} needs the agent host, which is not running.`, [
        RESTART_HOST,
        OPEN_LOGS,
      ]);
    };
}

export const COMMANDS: Record<CommandName, CommandFactory> = {
  restartHost: (ctx) => () => ctx.restart(),
  connectRemoteHost: (ctx) => () => connectRemoteHostCommand(ctx),
  useLocalHost: (ctx) => () => useLocalHostCommand(ctx),
  showLogs: (ctx) => () => ctx.log.show(),
  pullModel: withHost("pullModel", (ctx, client, suggested) => pullModelCommand(ctx, client, suggested)),
  setRemoteApiKey: (ctx) => () => setRemoteApiKeyCommand(ctx.extension.secrets),
  useModel: (ctx) => (name, role) => useModelCommand(ctx, name, role),
  editSelection: withHost("editSelection", (ctx, client) => editSelectionCommand(ctx, client)),
  acceptEdit: (ctx) => (uri) => acceptEditCommand(ctx, uri),
  rejectEdit: (ctx) => (uri) => rejectEditCommand(ctx, uri),
  acceptHunk: (ctx) => (uri, hunk) => acceptHunkCommand(ctx, uri, hunk),
  rejectHunk: (ctx) => (uri, hunk) => rejectHunkCommand(ctx, uri, hunk),
  fixProblem: withHost("fixProblem", (ctx, client, uri, diagnostic) => fixProblemCommand(ctx, client, uri, diagnostic)),
  explainSelection: withHost("explainSelection", (ctx, client) => selectionTaskCommand(ctx, client, "explain")),
  writeTests: withHost("writeTests", (ctx, client) => selectionTaskCommand(ctx, client, "writeTests")),
  runTask: withHost("runTask", (ctx, client) => runTaskCommand(ctx, client)),
  cancelTask: withHost("cancelTask", (ctx, client, taskId) => cancelTaskCommand(ctx, client, taskId)),
  reviewChanges: (ctx) => (taskId) => ctx.reviewController.openAll(taskId),
  keepAllChanges: (ctx) => (taskId) => ctx.reviewController.keep(taskId),
  undoAllChanges: (ctx) => (taskId) => ctx.reviewController.undo(taskId),
  openChangeDiff: (ctx) => (taskId, path) => ctx.reviewController.openDiff(taskId, path),
  keepChange: (ctx) => (taskId, path) => {
    if (typeof path === "string") ctx.reviewController.keep(taskId, path);
  },
  undoChange: (ctx) => (taskId, path) =>
    typeof path === "string" ? ctx.reviewController.undo(taskId, path) : undefined,
  newChat: (ctx) => () => ctx.chat.newChat(),
  openPastChat: (ctx) => () => ctx.chat.openPast(),
  configureIntegrations: withHost("configureIntegrations", (ctx, client, choice) =>
    configureIntegrationsCommand(ctx, client, choice),
  ),
  refreshWorkItems: (ctx) => () => ctx.sidebar.refreshWorkItems(),
  filterWorkItems: (ctx) => () => ctx.sidebar.filterWorkItems(),
  loadMoreWorkItems: (ctx) => (source) => ctx.sidebar.loadMoreWorkItems(source),
  startIssueToPr: withHost("startIssueToPr", (ctx, client, item) => ctx.sidebar.startIssueToPr(client, item)),
  showWorkItem: withHost("showWorkItem", (ctx, client, item) => ctx.sidebar.showWorkItem(client, item)),
  openWorkItem: (ctx) => (item) => ctx.sidebar.openWorkItem(item),
  refreshTasks: (ctx) => () => ctx.sidebar.refreshTasks(),
  showTask: (ctx) => (task) => ctx.sidebar.showTask(task),
  approveTask: withHost("approveTask", (ctx, client, task) => ctx.sidebar.approveTask(client, task, true)),
  denyTask: withHost("denyTask", (ctx, client, task) => ctx.sidebar.approveTask(client, task, false)),
  retryTask: withHost("retryTask", (ctx, client, task) => ctx.sidebar.retryTask(client, task)),
  openTaskPr: (ctx) => (task) => ctx.sidebar.openTaskPr(task),
  openTaskWorktree: withHost("openTaskWorktree", (ctx, client, task) => ctx.sidebar.openTaskWorktree(client, task)),
  handOffTask: withHost("handOffTask", (ctx, client, task) => ctx.sidebar.handOffTask(client, task)),
};

export function registerCommands(ctx: Ctx): void {
  for (const [name, factory] of Object.entries(COMMANDS) as [CommandName, CommandFactory][]) {
    ctx.pushExtension(vscode.commands.registerCommand(BORA_COMMANDS[name].id, factory(ctx)));
  }
}
