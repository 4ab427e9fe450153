/**
 * Every command the extension registers, in one table: its id and, for the commands in the
 * palette, the title `package.json` contributes under the category "Bora" (a unit test keeps the
 * two in step). Code that runs a Bora command takes its id from here, never from a string.
 * No `vscode` import, so the table can be checked without VS Code.
 */

export const COMMAND_CATEGORY = "Bora";

export const BORA_COMMANDS = {
  restartHost: { id: "bora.restartHost", title: "Restart Agent Host" },
  /** Asks a remote host's URL and token, saves them (setting, secret storage) and reconnects. */
  connectRemoteHost: { id: "bora.connectRemoteHost", title: "Connect to Remote Agent Host…" },
  /** Clears `bora.agentHost.url` and the stored token, and starts the bundled host again. */
  useLocalHost: { id: "bora.useLocalHost", title: "Use Local Agent Host" },
  showLogs: { id: "bora.showLogs", title: "Show Logs" },
  pullModel: { id: "bora.pullModel", title: "Pull Model…" },
  setRemoteApiKey: { id: "bora.setRemoteApiKey", title: "Set Remote API Key…" },
  /**
   * Uses a pulled model for chat or edits (arguments: the store name, then `chat` or `edit`; without
   * a role it asks). Run only by Bora's buttons and links, so it is not in the palette.
   */
  useModel: { id: "bora.useModel", title: undefined },
  editSelection: { id: "bora.editSelection", title: "Edit Selection…" },
  /** Accepts the pending inline edit of the active editor, or of the document whose URI is the argument. */
  acceptEdit: { id: "bora.acceptEdit", title: "Accept Edit" },
  /** Rejects the pending inline edit (while it streams: stops it), of the active editor or the URI given. */
  rejectEdit: { id: "bora.rejectEdit", title: "Reject Edit" },
  /** One hunk of a pending edit (arguments: the document URI, the hunk id); run by its CodeLens only. */
  acceptHunk: { id: "bora.acceptHunk", title: undefined },
  rejectHunk: { id: "bora.rejectHunk", title: undefined },
  /** Fixes a diagnostic with an inline edit (arguments from the quick fix: URI, diagnostic; none: the one at the cursor). */
  fixProblem: { id: "bora.fixProblem", title: "Fix Problem" },
  /** A task that explains the selection (or the file); the answer streams into the Chat view. */
  explainSelection: { id: "bora.explainSelection", title: "Explain Selection" },
  writeTests: { id: "bora.writeTests", title: "Write Tests for Selection" },
  runTask: { id: "bora.runTask", title: "Run Task…" },
  /** Cancels the running task (argument: a task id; none: the only one, or a pick of them). */
  cancelTask: { id: "bora.cancelTask", title: "Cancel Task" },
  /** Opens the diffs of a finished task's changes (argument: a task id; none: the latest review). */
  reviewChanges: { id: "bora.reviewChanges", title: "Review Task Changes" },
  keepAllChanges: { id: "bora.keepAllChanges", title: "Keep All Task Changes" },
  undoAllChanges: { id: "bora.undoAllChanges", title: "Undo All Task Changes" },
  /** One changed file of a task (arguments: the task id, the path): run by the Chat view's rows only. */
  openChangeDiff: { id: "bora.openChangeDiff", title: undefined },
  keepChange: { id: "bora.keepChange", title: undefined },
  undoChange: { id: "bora.undoChange", title: undefined },
  /** Starts a new conversation in the Chat view (the old one stays in the history). */
  newChat: { id: "bora.newChat", title: "New Chat" },
  /** Reopens an earlier conversation of this workspace in the Chat view. */
  openPastChat: { id: "bora.openPastChat", title: "Open Past Chat…" },
  /** The guided set-up of GitHub, Jira, Sentry or Slack (argument: a flow of `integrationSetup.ts`; none: asks). */
  configureIntegrations: { id: "bora.configureIntegrations", title: "Configure Integrations…" },
  /** The sidebar's Work Items tree: reload, narrow, and its items' actions (argument: a tree node; none: asks). */
  refreshWorkItems: { id: "bora.refreshWorkItems", title: "Refresh Work Items" },
  filterWorkItems: { id: "bora.filterWorkItems", title: "Filter Work Items…" },
  /** A group's last row when its tracker has more (argument: the source). */
  loadMoreWorkItems: { id: "bora.loadMoreWorkItems", title: undefined },
  startIssueToPr: { id: "bora.startIssueToPr", title: "Start Issue → PR…" },
  showWorkItem: { id: "bora.showWorkItem", title: "Show Work Item Details…" },
  openWorkItem: { id: "bora.openWorkItem", title: "Open in Browser" },
  /** The sidebar's Tasks tree and its tasks' actions (argument: a task id or a tree node; none: a pick). */
  refreshTasks: { id: "bora.refreshTasks", title: "Refresh Tasks" },
  showTask: { id: "bora.showTask", title: "Show Task…" },
  approveTask: { id: "bora.approveTask", title: "Approve Task…" },
  denyTask: { id: "bora.denyTask", title: "Deny Task…" },
  retryTask: { id: "bora.retryTask", title: "Retry Task…" },
  openTaskPr: { id: "bora.openTaskPr", title: "Open Task's Pull Request" },
  /**
   * Opens a durable task's worktree (its branch, checked out) in a new window, to carry on by hand; a
   * team task's branch is fetched into one first (`bora/checkOutTask`).
   */
  openTaskWorktree: { id: "bora.openTaskWorktree", title: "Check Out Task Locally" },
  /** Sends an unfinished task of this host to the team's queue (`bora/handOffTask`). */
  handOffTask: { id: "bora.handOffTask", title: "Hand Off Task to Team…" },
} as const satisfies Record<string, { id: `bora.${string}`; title: string | undefined }>;

export type CommandName = keyof typeof BORA_COMMANDS;
export type CommandId = (typeof BORA_COMMANDS)[CommandName]["id"];

/** VS Code's own command that opens the settings editor with a search (e.g. `bora.models.chat`). */
export const OPEN_SETTINGS = "workbench.action.openSettings";

/** A title for sentences and buttons: the palette title without its trailing ellipsis. */
export function commandLabel(name: CommandName): string {
  const { id, title } = BORA_COMMANDS[name];
  return (title ?? id).replace(/…$/, "");
}
