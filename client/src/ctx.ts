/**
 * One owner of lifetimes. Extension-lifetime disposables (commands, the log channel, the status
 * bar) live until deactivation; client-lifetime ones (the language client and its handlers) are
 * cleared on every host restart.
 */
import { PROTOCOL_VERSION, SerialQueue, Status, TaskUpdated, Version, type StatusParams } from "@bora/protocol";
import * as vscode from "vscode";
import type { WebSocket } from "ws";
import {
  AGENT_HOST_TOKEN_KEY,
  AGENT_HOST_URL_SETTING,
  CONNECT_REMOTE,
  LOCAL_HOST,
  USE_LOCAL,
  agentHostTarget,
  failureNotice,
  hostLabel,
  type AgentHostTarget,
} from "./agentHostTarget.js";
import { connectRemoteHost, createHostClient, HostConnectError, type HostClient } from "./hostClient.js";
import { registerFixWithBora } from "./inlineEdit/commands.js";
import { InlineEditController } from "./inlineEdit/controller.js";
import { OPEN_LOGS, RESTART_HOST, problemKey } from "./problemActions.js";
import { isBoraSecret, sendSecrets } from "./secrets.js";
import { showActions, showProblem } from "./showProblem.js";
import { StatusBar } from "./statusBar.js";
import { ChatController } from "./chat/chatView.js";
import { Sidebar } from "./sidebar/sidebar.js";
import { PendingApprovals } from "./tasks/pendingApprovals.js";
import { registerQuestionHandlers } from "./tasks/questionHandlers.js";
import { Reviews } from "./tasks/review.js";
import { ReviewController } from "./tasks/reviewController.js";
import { TaskStore } from "./tasks/taskStore.js";
import { dropHintWhenUsed } from "./useModel.js";

/** Context key: a task is queued, running or waiting (Cancel Task shows in the palette). */
const TASKS_LIVE_KEY = "bora.tasks.live";

export class Ctx implements vscode.Disposable {
  readonly log: vscode.LogOutputChannel;
  readonly statusBar: StatusBar;
  /** The pending inline edits, one per document. */
  readonly inlineEdits: InlineEditController;
  /**
   * The tasks the host reported. It outlives a host restart on purpose: the transcripts of tasks a
   * crashed host was running stay readable.
   */
  readonly tasks = new TaskStore();
  /** The reviews of finished tasks' changes, and their diffs, Keep and Undo. */
  readonly reviews = new Reviews(this.tasks);
  /** Approvals the Chat view answers inline while it is visible. */
  readonly approvals = new PendingApprovals();
  readonly reviewController: ReviewController;
  /** The Chat view: the conversation, and every task started from the palette as a turn of it. */
  readonly chat: ChatController;
  /** The Work Items and Tasks trees of the Bora container. */
  readonly sidebar: Sidebar;
  private readonly extensionBag: vscode.Disposable[] = [];
  private clientBag: vscode.Disposable[] = [];
  private client: HostClient | undefined;
  /** The engine problem last shown, so each new one is shown once (the status bar keeps showing it). */
  private lastEngineProblem: string | undefined;
  /** Serialises start/stop so a restart clicked twice does not start two hosts. */
  private readonly lifecycle = new SerialQueue();
  /** The host the last start aimed at (local, or a remote URL) and the token it used. */
  private startedWith: { target: AgentHostTarget; token: string | undefined } | undefined;
  /** How many starts were tried, so a caller can tell whether one happened since it saved new settings. */
  private starts = 0;
  /** The remote host's WebSocket while connected; closed on stop. */
  private remoteSocket: WebSocket | undefined;

  constructor(readonly extension: vscode.ExtensionContext) {
    this.log = vscode.window.createOutputChannel("Bora", { log: true });
    this.statusBar = new StatusBar();
    this.inlineEdits = new InlineEditController(this);
    this.reviewController = new ReviewController(this);
    this.chat = new ChatController(this);
    this.sidebar = new Sidebar(this);
    this.extensionBag.push(
      this.reviews,
      this.reviewController,
      this.chat,
      this.sidebar,
      this.tasks.onDidChange(() => {
        void vscode.commands.executeCommand("setContext", TASKS_LIVE_KEY, this.tasks.live().length > 0);
      }),
      this.log,
      this.statusBar,
      this.inlineEdits,
      registerFixWithBora(),
      extension.secrets.onDidChange((event) => {
        if (isBoraSecret(event.key)) void sendSecrets(this.client, extension.secrets, this.log, true);
      }),
      dropHintWhenUsed(this),
      // A new host URL means a different host: switch at once, as a user who just changed it expects.
      vscode.workspace.onDidChangeConfiguration((event) => {
        if (event.affectsConfiguration(`bora.${AGENT_HOST_URL_SETTING}`)) void this.reconnect();
      }),
    );
  }

  pushExtension(disposable: vscode.Disposable): void {
    this.extensionBag.push(disposable);
  }

  /** The language client while the host runs; commands use it to send requests. */
  get languageClient(): HostClient | undefined {
    return this.client;
  }

  get running(): boolean {
    return this.client?.isRunning() ?? false;
  }

  /** The running client once a start or restart under way has finished; undefined when the host is not running. */
  async settledClient(): Promise<HostClient | undefined> {
    await this.lifecycle.idle();
    return this.running ? this.client : undefined;
  }

  start(): Promise<void> {
    return this.queue(() => this.doStart());
  }

  restart(): Promise<void> {
    return this.queue(async () => {
      await this.doStop();
      await this.doStart();
    });
  }

  stop(): Promise<void> {
    return this.queue(() => this.doStop());
  }

  /** A mark for `reconnect`: the number of starts tried so far. */
  get startMark(): number {
    return this.starts;
  }

  /**
   * Restarts when the host setting or the token differ from what the last start used. `since`
   * (a `startMark` taken before saving them): also retry a start that failed, unless one with
   * these settings was tried after the mark. The settings listener and the Connect command both
   * call it, so saving a URL and a token tries once, not twice.
   */
  reconnect(since?: number): Promise<void> {
    return this.queue(async () => {
      const wanted = await this.wantedHost();
      const started = this.startedWith;
      const same =
        started !== undefined &&
        "target" in wanted &&
        sameTarget(started.target, wanted.target) &&
        started.token === wanted.token;
      if (same && (since === undefined || this.running || this.starts > since)) return;
      await this.doStop();
      await this.doStart();
    });
  }

  dispose(): void {
    for (const d of this.extensionBag.splice(0).reverse()) d.dispose();
  }

  private queue(step: () => Promise<void>): Promise<void> {
    return this.lifecycle.run(step);
  }

  /** The host `bora.agentHost.url` names, and the stored token for it. */
  private async wantedHost(): Promise<{ target: AgentHostTarget; token: string | undefined } | { error: string }> {
    const read = agentHostTarget(vscode.workspace.getConfiguration("bora").get(AGENT_HOST_URL_SETTING));
    if ("error" in read) return read;
    const token = read.target.kind === "remote" ? await this.extension.secrets.get(AGENT_HOST_TOKEN_KEY) : undefined;
    return { target: read.target, token };
  }

  private async doStart(): Promise<void> {
    this.starts += 1;
    this.statusBar.setPhase("starting");
    const wanted = await this.wantedHost();
    if ("error" in wanted) {
      this.startedWith = undefined;
      this.showHost(LOCAL_HOST);
      this.statusBar.setPhase("crashed");
      void showActions("error", wanted.error, [CONNECT_REMOTE, USE_LOCAL]);
      return;
    }
    const { target, token } = wanted;
    this.startedWith = wanted;
    this.showHost(target);
    let socket: WebSocket | undefined;
    if (target.kind === "remote") {
      this.log.info(`connecting to the agent host at ${target.url}${token ? " with a token" : " without a token"}`);
      try {
        socket = await connectRemoteHost(target.url, token);
      } catch (error) {
        const failure =
          error instanceof HostConnectError ? error.failure : { kind: "unreachable" as const, reason: String(error) };
        const notice = failureNotice(target.url, failure);
        this.log.error(notice.message);
        this.statusBar.setPhase("crashed");
        void showActions("error", notice.message, notice.actions);
        return;
      }
      this.remoteSocket = socket;
    }
    // Only the current client's death counts: a client we are stopping on purpose is no crash.
    const client: HostClient = createHostClient(
      this.extension,
      this.log,
      () => {
        if (this.client === client) this.onCrash();
      },
      socket === undefined ? { kind: "local" } : { kind: "remote", socket },
    );
    this.client = client;
    this.clientBag.push(
      client.onNotification(Status.type, (status) => {
        this.statusBar.setStatus(status);
        this.tellEngineProblem(status);
      }),
      client.onNotification(TaskUpdated.type, (update) => {
        this.tasks.apply(update);
      }),
      ...registerQuestionHandlers(client, this.tasks, {
        approvals: this.approvals,
        chatVisible: () => this.chat.visible,
      }),
    );
    try {
      await client.start();
    } catch (error) {
      this.log.error(`The Bora agent host did not start: ${error instanceof Error ? error.message : String(error)}`);
      this.onCrash();
      return;
    }
    this.statusBar.setPhase("running");
    const version = await client.sendRequest(Version.type, { clientProtocolVersion: PROTOCOL_VERSION });
    this.log.info(`agent host ${version.hostVersion}, protocol ${version.protocolVersion}`);
    if (!version.compatible) {
      void vscode.window.showWarningMessage(
        `The Bora agent host speaks protocol ${version.protocolVersion}, this extension ${PROTOCOL_VERSION}. Update one of them.`,
      );
    }
    await sendSecrets(client, this.extension.secrets, this.log, false);
    this.sidebar.hostStarted();
  }

  private async doStop(): Promise<void> {
    const client = this.client;
    this.client = undefined;
    for (const d of this.clientBag.splice(0).reverse()) d.dispose();
    if (client?.isRunning()) {
      try {
        await client.stop(5000);
      } catch (error) {
        this.log.warn(`stopping the agent host: ${error instanceof Error ? error.message : String(error)}`);
      }
    }
    // The host closes its end after `exit`; a host that is gone or slow must not keep ours open.
    this.remoteSocket?.terminate();
    this.remoteSocket = undefined;
    this.statusBar.setPhase("stopped");
  }

  /** The status bar and the sidebar say which host is in use. */
  private showHost(target: AgentHostTarget): void {
    const label = hostLabel(target);
    this.statusBar.host = label;
    this.sidebar.showHost(label);
  }

  /** Shows each new engine problem once, with the button that fixes it (the status bar keeps showing it). */
  private tellEngineProblem(status: StatusParams): void {
    const problem = status.engine.state === "error" ? status.engine.problem : undefined;
    const key = problem === undefined ? undefined : problemKey(problem);
    if (key === this.lastEngineProblem) return;
    this.lastEngineProblem = key;
    if (problem !== undefined) void showProblem(problem);
  }

  /** The host died: show it, offer the logs, and do not restart on our own (no restart loop). */
  private onCrash(): void {
    this.statusBar.setPhase("crashed");
    const target = this.startedWith?.target;
    if (target?.kind === "remote") {
      const notice = failureNotice(target.url, { kind: "lost" });
      void showActions("error", notice.message, notice.actions);
      return;
    }
    void showActions("error", "The Bora agent host stopped unexpectedly.", [OPEN_LOGS, RESTART_HOST]);
  }
}

function sameTarget(a: AgentHostTarget, b: AgentHostTarget): boolean {
  return a.kind === "local" ? b.kind === "local" : b.kind === "remote" && a.url === b.url;
}
