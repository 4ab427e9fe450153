/**
 * The sidebar's two trees in the Bora container, Work Items and Tasks: the thin VS Code adapter over
 * `workItemsView.ts` and `tasksView.ts`. It fetches (`bora/listWorkItems`, `bora/listTasks`), keeps
 * the task rows current from the task store, sets the container's badge (tasks waiting for the
 * user), and tells the user when a task needs them or finishes.
 */
import {
  Approve,
  CheckOutTask,
  GetWorkItem,
  HandOffTask,
  ListTasks,
  ListWorkItems,
  RetryTask,
  StartIssueToPr,
  type WorkItemDetails,
  type WorkItemGroup,
} from "@bora/protocol";
import * as vscode from "vscode";
import { BORA_COMMANDS } from "../commandIds.js";
import type { Ctx } from "../ctx.js";
import type { HostClient } from "../hostClient.js";
import { problemOfError, type Action } from "../problemActions.js";
import { runAction, showActions, showProblem } from "../showProblem.js";
import type { TaskState } from "../tasks/taskStore.js";
import {
  actionsOf,
  newsOf,
  rowsFromList,
  taskNodes,
  teamTasksLive,
  TEAM_POLL_MS,
  waitingCount,
  type TaskNode,
  type TaskRow,
} from "./tasksView.js";
import { isStaleNeed, needKey } from "./taskWords.js";
import { FIRST_WORK_ITEMS, nextLimit, workItemNodes, type WorkItemNode } from "./workItemsView.js";

export const WORK_ITEMS_VIEW = "bora.workItems";
export const TASKS_VIEW = "bora.tasks";

const ICONS: Record<Extract<TaskNode, { kind: "task" }>["icon"], vscode.ThemeIcon> = {
  waiting: new vscode.ThemeIcon("bell-dot", new vscode.ThemeColor("charts.yellow")),
  running: new vscode.ThemeIcon("sync~spin"),
  review: new vscode.ThemeIcon("git-pull-request-draft"),
  done: new vscode.ThemeIcon("pass", new vscode.ThemeColor("charts.green")),
  failed: new vscode.ThemeIcon("error", new vscode.ThemeColor("charts.red")),
  cancelled: new vscode.ThemeIcon("circle-slash"),
};

function commandOf(action: Action): vscode.Command {
  return { title: action.title, command: action.command, arguments: action.args };
}

/** The row a task's latest update makes of it. */
function rowOf(task: TaskState, known: TaskRow | undefined): TaskRow {
  return {
    ...known,
    taskId: task.taskId,
    kind: task.kind,
    title: task.title,
    status: task.status,
    turn: task.turn,
    createdAt: known?.createdAt ?? Date.now(),
    ...task.durable,
  };
}

class WorkItemsTree implements vscode.TreeDataProvider<WorkItemNode> {
  private groups: WorkItemGroup[] | undefined;
  private loading: Promise<void> | undefined;
  private failure: string | undefined;
  filter = "";
  private readonly changed = new vscode.EventEmitter<WorkItemNode | undefined>();
  readonly onDidChangeTreeData = this.changed.event;

  constructor(private readonly ctx: Ctx) {}

  dispose(): void {
    this.changed.dispose();
  }

  get loaded(): boolean {
    return this.loading !== undefined;
  }

  refresh(): Promise<void> {
    this.loading = this.load();
    return this.loading;
  }

  private async load(): Promise<void> {
    const client = await this.ctx.settledClient();
    if (client === undefined) {
      this.failure = "The agent host is not running.";
    } else {
      try {
        // A refresh starts over at the first page of each tracker.
        this.groups = (await client.sendRequest(ListWorkItems.type, { limit: FIRST_WORK_ITEMS })).groups;
        this.failure = undefined;
      } catch (error) {
        this.failure = problemOfError(error).message;
      }
    }
    this.changed.fire(undefined);
  }

  /** Asks one tracker again for a page more than its group shows, and puts the answer in its place. */
  async loadMore(source: WorkItemGroup["source"]): Promise<void> {
    const shown = this.groups?.find((g) => g.source === source);
    if (shown === undefined) return;
    const client = await this.ctx.settledClient();
    if (client === undefined) return;
    try {
      const { groups } = await vscode.window.withProgress(
        { location: { viewId: WORK_ITEMS_VIEW }, title: `Loading more ${source} items` },
        () => client.sendRequest(ListWorkItems.type, { source, limit: nextLimit(shown.items.length) }),
      );
      const fresh = groups.find((g) => g.source === source);
      if (fresh !== undefined && this.groups !== undefined)
        this.groups = this.groups.map((g) => (g.source === source ? fresh : g));
    } catch (error) {
      await showProblem(problemOfError(error), "error");
    }
    this.changed.fire(undefined);
  }

  getChildren(node?: WorkItemNode): WorkItemNode[] {
    if (node?.kind === "group") return node.children;
    if (node !== undefined) return [];
    if (this.failure !== undefined)
      return [{ kind: "problem", id: "failure", label: this.failure, tooltip: this.failure }];
    if (this.groups === undefined) {
      this.loading ??= this.load();
      return [{ kind: "notice", id: "loading", label: "Loading work items…" }];
    }
    return workItemNodes(this.groups, this.filter, Date.now());
  }

  getTreeItem(node: WorkItemNode): vscode.TreeItem {
    const item = new vscode.TreeItem(
      node.label,
      node.kind === "group" ? vscode.TreeItemCollapsibleState.Expanded : vscode.TreeItemCollapsibleState.None,
    );
    item.id = node.id;
    switch (node.kind) {
      case "group":
        item.description = node.description;
        break;
      case "item":
        item.description = node.description;
        item.tooltip = node.tooltip;
        item.contextValue = "workItem";
        item.iconPath = new vscode.ThemeIcon(node.row.source === "sentry" ? "bug" : "issues");
        item.command = {
          title: "Show Details",
          command: BORA_COMMANDS.showWorkItem.id,
          arguments: [node],
        };
        break;
      case "problem":
        item.tooltip = node.tooltip;
        item.iconPath = new vscode.ThemeIcon("warning", new vscode.ThemeColor("problemsWarningIcon.foreground"));
        if (node.action) {
          item.command = commandOf(node.action);
          item.description = node.action.title;
        }
        break;
      case "notice":
        if (node.action) {
          item.command = commandOf(node.action);
          item.description = node.action.title;
        }
        break;
    }
    return item;
  }
}

class TasksTree implements vscode.TreeDataProvider<TaskNode> {
  readonly rows = new Map<string, TaskRow>();
  /** The questions the user was told about (`needKey`), for this window's lifetime. */
  private readonly toldNeeds = new Set<string>();
  private listed: Promise<void> | undefined;
  private readonly changed = new vscode.EventEmitter<TaskNode | undefined>();
  readonly onDidChangeTreeData = this.changed.event;
  view: vscode.TreeView<TaskNode> | undefined;

  /** The next list while a team task is live (`TEAM_POLL_MS`). */
  private poll: NodeJS.Timeout | undefined;

  constructor(private readonly ctx: Ctx) {}

  dispose(): void {
    clearTimeout(this.poll);
    this.changed.dispose();
  }

  get loaded(): boolean {
    return this.listed !== undefined;
  }

  refresh(): Promise<void> {
    this.listed = this.load();
    return this.listed;
  }

  private async load(): Promise<void> {
    clearTimeout(this.poll);
    const client = await this.ctx.settledClient();
    if (client === undefined) return;
    try {
      const { tasks, problem } = await client.sendRequest(ListTasks.type, {});
      for (const [id, row] of rowsFromList(tasks)) {
        const before = this.rows.get(id);
        // A team task's row is the list's alone: what this host said of it before (its worktree here) is gone.
        const after = row.team ? row : { ...before, ...row };
        this.rows.set(id, after);
        // A team task's worker is another host: the list is the only news of it this window gets.
        if (after.team && before !== undefined) this.tell(before, after);
      }
      if (problem !== undefined) this.ctx.log.warn(`Tasks: ${problem.message}`);
    } catch (error) {
      this.ctx.log.warn(`Tasks: could not list them: ${problemOfError(error).message}`);
    }
    this.update();
    if (teamTasksLive([...this.rows.values()])) this.poll = setTimeout(() => void this.refresh(), TEAM_POLL_MS);
  }

  /** A task's update: its row changes, and news of it (it needs the user, it ended) is shown once. */
  applied(task: TaskState): void {
    const before = this.rows.get(task.taskId);
    const after = rowOf(task, before);
    this.rows.set(task.taskId, after);
    this.update();
    this.tell(before, after);
  }

  /** News of a task's change (it needs the user, it ended), shown once. */
  private tell(before: TaskRow | undefined, after: TaskRow): void {
    const news = newsOf(before, after);
    if (news === undefined) return;
    const actions: Action[] = [];
    if (news.kind === "needsYou")
      actions.push(
        { title: "Approve", command: BORA_COMMANDS.approveTask.id, args: [after.taskId] },
        { title: "Deny", command: BORA_COMMANDS.denyTask.id, args: [after.taskId] },
      );
    if (after.pr !== undefined)
      actions.push({ title: "Open PR", command: BORA_COMMANDS.openTaskPr.id, args: [after.taskId] });
    if (news.kind === "failed")
      actions.push({ title: "Retry", command: BORA_COMMANDS.retryTask.id, args: [after.taskId] });
    // Information and warnings respect Do Not Disturb; VS Code holds them in the notification centre.
    if (news.kind !== "needsYou") {
      void showActions(news.kind === "failed" ? "warning" : "info", news.message, actions);
      return;
    }
    // Once per question: a replayed update of one already shown is no news.
    if (this.toldNeeds.has(needKey(after))) return;
    this.toldNeeds.add(needKey(after));
    // VS Code cannot take a notification back, so one that outlived its question (answered in
    // another window or the CLI) says so when clicked instead of answering again.
    void vscode.window.showInformationMessage(news.message, ...actions.map((a) => a.title)).then((choice) => {
      const action = actions.find((a) => a.title === choice);
      if (action === undefined) return;
      if (isStaleNeed(after, this.rows.get(after.taskId)))
        void vscode.window.showInformationMessage(`Bora: ${after.title} no longer waits for this answer.`);
      else void runAction(action);
    });
  }

  private update(): void {
    const waiting = waitingCount([...this.rows.values()]);
    if (this.view !== undefined)
      this.view.badge = waiting > 0 ? { value: waiting, tooltip: `${waiting} task(s) waiting for you` } : undefined;
    this.changed.fire(undefined);
  }

  getChildren(node?: TaskNode): TaskNode[] {
    if (node?.kind === "section") return node.children;
    if (node !== undefined) return [];
    this.listed ??= this.load();
    return taskNodes([...this.rows.values()]);
  }

  getTreeItem(node: TaskNode): vscode.TreeItem {
    if (node.kind === "section") {
      const item = new vscode.TreeItem(node.label, vscode.TreeItemCollapsibleState.Expanded);
      item.id = `section:${node.id}`;
      item.description = String(node.children.length);
      return item;
    }
    const item = new vscode.TreeItem(node.label, vscode.TreeItemCollapsibleState.None);
    item.id = node.id;
    item.description = node.description;
    item.tooltip = node.tooltip;
    item.contextValue = node.contextValue;
    item.iconPath = ICONS[node.icon];
    item.command = { title: "Show Task", command: BORA_COMMANDS.showTask.id, arguments: [node.id] };
    return item;
  }
}

/** A task id from a tree node, a notification's argument or nothing (then the user picks among `candidates`). */
async function taskIdFrom(arg: unknown, candidates: readonly TaskRow[], title: string): Promise<string | undefined> {
  if (typeof arg === "string") return arg;
  if (typeof arg === "object" && arg !== null && "row" in arg) return (arg as { row: TaskRow }).row.taskId;
  if (candidates.length === 1) return candidates[0]!.taskId;
  const picked = await vscode.window.showQuickPick(
    candidates.map((row) => ({ label: row.title, description: row.reason ?? row.status, taskId: row.taskId })),
    { title: `Bora: ${title}`, placeHolder: candidates.length === 0 ? "No task applies" : "Which task?" },
  );
  return picked?.taskId;
}

/** The work item a command is about: a tree node, else a REF the user types. */
async function workItemFrom(
  arg: unknown,
  prompt: string,
): Promise<{ ref: string; source?: "github" | "jira" | "sentry" } | undefined> {
  if (typeof arg === "object" && arg !== null && "row" in arg) {
    const { row } = arg as Extract<WorkItemNode, { kind: "item" }>;
    return { ref: row.key, source: row.source };
  }
  const ref = await vscode.window.showInputBox({
    title: `Bora: ${prompt}`,
    prompt: "An issue URL, OWNER/NAME#N, a Jira key or a Sentry issue id",
    ignoreFocusOut: true,
  });
  return ref === undefined || ref.trim() === "" ? undefined : { ref: ref.trim() };
}

/** A work item's details as a markdown page, with the stack frames that map to workspace files linked. */
export function detailsMarkdown(item: WorkItemDetails, folder: vscode.Uri | undefined): string {
  const lines = [`# ${item.key}: ${item.title}`, "", `${item.status} · [open in ${item.source}](${item.url})`, ""];
  if (item.labels.length > 0) lines.push(`Labels: ${item.labels.join(", ")}`, "");
  lines.push(item.body.trim() === "" ? "_No description._" : item.body.trim(), "");
  for (const trace of item.stackTraces) {
    lines.push(`## ${trace.type ?? "Error"}${trace.message ? `: ${trace.message}` : ""}`, "");
    for (const frame of [...trace.frames].reverse()) {
      const where = `${frame.workspacePath ?? frame.file}${frame.line ? `:${frame.line}` : ""}`;
      // A path from the workspace's root, not a file: URI: the markdown preview drops file: links
      // (markdown-it refuses the scheme) and resolves a leading "/" against the workspace folder.
      const link =
        frame.workspacePath !== undefined && folder !== undefined
          ? `[${where}](${encodeURI(`/${frame.workspacePath}`)}${frame.line ? `#L${frame.line}` : ""})`
          : `\`${where}\``;
      lines.push(`- \`${frame.function ?? "?"}\` at ${link}${frame.inApp ? "" : " (library)"}`);
    }
    lines.push("");
  }
  for (const comment of item.comments)
    lines.push(`---`, `**${comment.author}** (${comment.createdAt})`, "", comment.body, "");
  return lines.join("\n");
}

export class Sidebar implements vscode.Disposable {
  private readonly workItems: WorkItemsTree;
  private readonly tasks: TasksTree;
  private readonly bag: vscode.Disposable[] = [];
  private readonly tasksView: vscode.TreeView<TaskNode>;

  constructor(private readonly ctx: Ctx) {
    this.workItems = new WorkItemsTree(ctx);
    this.tasks = new TasksTree(ctx);
    const workItemsView = vscode.window.createTreeView(WORK_ITEMS_VIEW, {
      treeDataProvider: this.workItems,
      showCollapseAll: true,
    });
    const tasksView = vscode.window.createTreeView(TASKS_VIEW, { treeDataProvider: this.tasks });
    this.tasks.view = tasksView;
    this.tasksView = tasksView;
    this.bag.push(
      this.workItems,
      this.tasks,
      workItemsView,
      tasksView,
      ctx.tasks.onDidChange((task) => this.tasks.applied(task)),
    );
  }

  dispose(): void {
    for (const d of this.bag.splice(0)) d.dispose();
  }

  /** Names the host the tasks run on beside the Tasks view's title (`remote host:port`); undefined: the bundled host, named by nothing. */
  showHost(label: string | undefined): void {
    this.tasksView.description = label;
  }

  /** The host (re)started: what it lists may have changed (tasks resumed, settings read again). Views not shown yet load when shown. */
  hostStarted(): void {
    if (this.workItems.loaded) void this.workItems.refresh();
    if (this.tasks.loaded) void this.tasks.refresh();
  }

  refreshWorkItems(): Promise<void> {
    return this.workItems.refresh();
  }

  /** A group's **Load more…** (argument: the tracker's source). */
  async loadMoreWorkItems(source: unknown): Promise<void> {
    if (source === "github" || source === "jira" || source === "sentry") await this.workItems.loadMore(source);
  }

  async filterWorkItems(): Promise<void> {
    const filter = await vscode.window.showInputBox({
      title: "Bora: Filter Work Items",
      prompt: "Words the key, title or state must contain (empty shows all)",
      value: this.workItems.filter,
    });
    if (filter === undefined) return;
    this.workItems.filter = filter;
    await this.workItems.refresh();
  }

  async startIssueToPr(client: HostClient, arg: unknown): Promise<void> {
    const item = await workItemFrom(arg, "Start Issue → PR");
    if (item === undefined) return;
    try {
      const started = await client.sendRequest(StartIssueToPr.type, {
        ref: item.ref,
        ...(item.source !== undefined && { source: item.source }),
      });
      void vscode.window.showInformationMessage(
        started.attached
          ? `Bora: ${item.ref} already has a task; it is in the Tasks view.`
          : `Bora: started ${item.ref} → pull request; follow it in the Tasks view.`,
      );
      await this.tasks.refresh();
    } catch (error) {
      await showProblem(problemOfError(error), "error");
    }
  }

  async openWorkItem(arg: unknown): Promise<void> {
    if (typeof arg === "object" && arg !== null && "row" in arg)
      await vscode.env.openExternal(vscode.Uri.parse((arg as Extract<WorkItemNode, { kind: "item" }>).row.url));
  }

  async showWorkItem(client: HostClient, arg: unknown): Promise<void> {
    const item = await workItemFrom(arg, "Show Work Item Details");
    if (item === undefined) return;
    try {
      const { item: details } = await vscode.window.withProgress(
        { location: { viewId: WORK_ITEMS_VIEW }, title: `Fetching ${item.ref}` },
        () => client.sendRequest(GetWorkItem.type, { ref: item.ref, ...(item.source && { source: item.source }) }),
      );
      const doc = await vscode.workspace.openTextDocument({
        language: "markdown",
        content: detailsMarkdown(details, vscode.workspace.workspaceFolders?.[0]?.uri),
      });
      await vscode.commands.executeCommand("markdown.showPreview", doc.uri);
    } catch (error) {
      await showProblem(problemOfError(error), "error");
    }
  }

  refreshTasks(): Promise<void> {
    return this.tasks.refresh();
  }

  private rowsWhere(test: (row: TaskRow) => boolean): TaskRow[] {
    return [...this.tasks.rows.values()].filter(test);
  }

  async approveTask(client: HostClient, arg: unknown, approved: boolean): Promise<void> {
    const waiting = this.rowsWhere((r) => r.status === "waiting" && r.state !== undefined);
    const taskId = await taskIdFrom(arg, waiting, approved ? "Approve" : "Deny");
    if (taskId === undefined) return;
    let note: string | undefined;
    if (!approved) {
      note = await vscode.window.showInputBox({ title: "Bora: Deny", prompt: "Why (for the task's record; optional)" });
      if (note === undefined) return;
    }
    try {
      await client.sendRequest(Approve.type, { taskId, approved, ...(note ? { note } : {}) });
    } catch (error) {
      await showProblem(problemOfError(error), "error");
    }
  }

  async retryTask(client: HostClient, arg: unknown): Promise<void> {
    const taskId = await taskIdFrom(
      arg,
      this.rowsWhere((r) => r.state === "failed"),
      "Retry Task",
    );
    if (taskId === undefined) return;
    try {
      await client.sendRequest(RetryTask.type, { taskId });
    } catch (error) {
      await showProblem(problemOfError(error), "error");
    }
  }

  async openTaskPr(arg: unknown): Promise<void> {
    const taskId = await taskIdFrom(
      arg,
      this.rowsWhere((r) => r.pr !== undefined),
      "Open Pull Request",
    );
    const pr = taskId === undefined ? undefined : this.tasks.rows.get(taskId)?.pr;
    if (pr !== undefined) await vscode.env.openExternal(vscode.Uri.parse(pr.url));
  }

  /**
   * **Check Out Locally**: the task's work branch, checked out in a worktree, opens in a new window.
   * A task of this host has its worktree; a team task's branch is fetched into one first, after the
   * team's task is stopped when it still runs (the host says so, and the user confirms that first).
   */
  async openTaskWorktree(client: HostClient, arg: unknown): Promise<void> {
    const taskId = await taskIdFrom(
      arg,
      this.rowsWhere((r) => r.branch !== undefined && (r.team === true || r.worktree !== undefined)),
      "Check Out Task Locally",
    );
    const row = taskId === undefined ? undefined : this.tasks.rows.get(taskId);
    if (taskId === undefined || row === undefined) return;
    if (row.team && (row.status === "queued" || row.status === "running" || row.status === "waiting")) {
      const stop = "Stop It and Check Out";
      const chosen = await vscode.window.showWarningMessage(
        `${row.title} is still ${row.status} on the team. Checking it out stops it there, so that only you write its branch ${row.branch}.`,
        { modal: true },
        stop,
      );
      if (chosen !== stop) return;
    }
    try {
      const result = await vscode.window.withProgress(
        { location: vscode.ProgressLocation.Notification, title: `Bora: checking out ${row.branch}…` },
        () => client.sendRequest(CheckOutTask.type, { taskId }),
      );
      if (result.diverged)
        void vscode.window.showWarningMessage(
          `Bora: ${result.dir} has commits of its own; the team's newer work on ${result.branch} was not merged into it.`,
        );
      await this.refreshTasks();
      await vscode.commands.executeCommand("vscode.openFolder", vscode.Uri.file(result.dir), { forceNewWindow: true });
    } catch (error) {
      await showProblem(problemOfError(error), "error");
    }
  }

  /**
   * **Hand Off to Team**: the task stops here and a team worker continues it from its last recorded
   * step, with the worktree as it is (edits made there included) pushed to its branch.
   */
  async handOffTask(client: HostClient, arg: unknown): Promise<void> {
    const taskId = await taskIdFrom(
      arg,
      this.rowsWhere((r) => actionsOf(r).includes("handoff")),
      "Hand Off Task to Team",
    );
    const row = taskId === undefined ? undefined : this.tasks.rows.get(taskId);
    if (taskId === undefined || row === undefined) return;
    const send = "Hand Off";
    const chosen = await vscode.window.showInformationMessage(
      `Hand ${row.title} off to the team? It stops here; its worktree${row.branch ? ` is committed and pushed to ${row.branch}, and` : " goes with it, and"} a team worker continues from its last recorded step.`,
      { modal: true },
      send,
    );
    if (chosen !== send) return;
    try {
      const result = await vscode.window.withProgress(
        { location: vscode.ProgressLocation.Notification, title: `Bora: handing ${row.title} off to the team…` },
        () => client.sendRequest(HandOffTask.type, { taskId }),
      );
      await this.refreshTasks();
      void vscode.window.showInformationMessage(
        `Bora: ${row.title} is on the team's queue with its ${result.operations} recorded steps${result.branch ? `; its work is on ${result.branch}` : ""}.`,
      );
    } catch (error) {
      await showProblem(problemOfError(error), "error");
    }
  }

  /** A task's record as a page: its state, and its transcript's rows as far as this window saw them. */
  async showTask(arg: unknown): Promise<void> {
    const taskId = await taskIdFrom(arg, [...this.tasks.rows.values()], "Show Task");
    if (taskId === undefined) return;
    const row = this.tasks.rows.get(taskId);
    const task = this.ctx.tasks.get(taskId);
    const lines = [`# ${row?.title ?? task?.title ?? taskId}`, ""];
    if (row?.state !== undefined)
      lines.push(`**${row.state}**${row.step ? ` at step ${row.step}` : ""}: ${row.reason ?? ""}`, "");
    if (row?.pr) lines.push(`Pull request: ${row.pr.url}`, "");
    if (row?.branch) lines.push(`Branch \`${row.branch}\`${row.worktree ? ` in \`${row.worktree}\`` : ""}`, "");
    for (const entry of task?.items ?? []) {
      if (entry.type === "notice") lines.push(`- ${entry.text}`);
      else if (entry.type === "text") lines.push("", entry.text, "");
      else if (entry.type === "tool") lines.push(`- \`${entry.name}\` ${entry.summary} (${entry.state})`);
    }
    if (task?.transcript) lines.push("", `Transcript: \`${task.transcript}\``);
    const doc = await vscode.workspace.openTextDocument({ language: "markdown", content: lines.join("\n") });
    await vscode.commands.executeCommand("markdown.showPreview", doc.uri);
  }
}
