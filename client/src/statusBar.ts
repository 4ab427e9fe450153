/** Renders the host's `bora/status` into one status-bar item. */
import type { StatusParams } from "@bora/protocol";
import * as vscode from "vscode";
import { statusView, type ClientPhase } from "./statusView.js";

export class StatusBar implements vscode.Disposable {
  private readonly item: vscode.StatusBarItem;
  private phase: ClientPhase = "starting";
  private status: StatusParams | undefined;

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

  dispose(): void {
    this.item.dispose();
  }

  private render(): void {
    const view = statusView(this.phase, this.status);
    this.item.text = view.text;
    this.item.tooltip = view.tooltip;
    this.item.command = view.command;
    this.item.accessibilityInformation = { label: view.text.replace(/\$\([^)]*\)\s*/g, "") };
    this.item.backgroundColor = view.error ? new vscode.ThemeColor("statusBarItem.errorBackground") : undefined;
  }
}
