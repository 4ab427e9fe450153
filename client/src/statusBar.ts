/** Renders the host's `bora/status` into one status-bar item. */
import type { StatusParams } from "@bora/protocol";
import * as vscode from "vscode";
import { statusView, tooltipMarkdown, type ClientPhase, type EditProgress, type StatusExtras } from "./statusView.js";

export class StatusBar implements vscode.Disposable {
  private readonly item: vscode.StatusBarItem;
  private phase: ClientPhase = "starting";
  private status: StatusParams | undefined;
  private unused: string | undefined;
  private progress: EditProgress | undefined;
  private remote: string | undefined;

  constructor() {
    this.item = vscode.window.createStatusBarItem("bora.status", vscode.StatusBarAlignment.Left, 100);
    this.item.name = "Bora";
    this.render();
    this.item.show();
  }

  setPhase(phase: ClientPhase): void {
    this.phase = phase;
    if (phase !== "running") this.status = undefined;
    this.render();
  }

  setStatus(status: StatusParams): void {
    this.phase = "running";
    this.status = status;
    this.render();
  }

  /** A pulled model no setting uses yet, shown until the user decides; undefined clears it. */
  get unusedModel(): string | undefined {
    return this.unused;
  }

  set unusedModel(name: string | undefined) {
    this.unused = name;
    this.render();
  }

  /** The active editor's streaming inline edit; undefined when none streams. */
  set editProgress(progress: EditProgress | undefined) {
    this.progress = progress;
    this.render();
  }

  /** The host in use when it is not the bundled one (`remote host:port`); undefined for the bundled one. */
  set host(label: string | undefined) {
    this.remote = label;
    this.render();
  }

  dispose(): void {
    this.item.dispose();
  }

  private render(): void {
    const extras: StatusExtras = {};
    if (this.unused !== undefined) extras.unusedModel = this.unused;
    if (this.progress !== undefined) extras.editProgress = this.progress;
    if (this.remote !== undefined) extras.host = this.remote;
    const view = statusView(this.phase, this.status, extras);
    const markdown = tooltipMarkdown(view);
    const tooltip = new vscode.MarkdownString(markdown.value);
    // Links may run exactly the commands this tooltip offers, nothing else.
    tooltip.isTrusted = { enabledCommands: markdown.enabledCommands };
    this.item.text = view.text;
    this.item.tooltip = tooltip;
    this.item.command = { title: view.click.title, command: view.click.command, arguments: view.click.args };
    this.item.accessibilityInformation = { label: view.text.replace(/\$\([^)]*\)\s*/g, "") };
    this.item.backgroundColor = view.error ? new vscode.ThemeColor("statusBarItem.errorBackground") : undefined;
  }
}
