/**
 * The review of a finished task's changes in VS Code: the base documents (`bora-base:` URIs,
 * served from `bora/taskFileBase`), the diffs, Keep / Undo per file and for all (Undo through
 * `bora/undoTaskChanges`), and the notification when a task that changed files ends. What the
 * rows are and what the notification says is in the pure `review.ts`.
 */
import { TaskFileBase, UndoTaskChanges } from "@bora/protocol";
import * as vscode from "vscode";
import { BORA_COMMANDS } from "../commandIds.js";
import type { Ctx } from "../ctx.js";
import { problemOfError } from "../problemActions.js";
import { showProblem } from "../showProblem.js";
import {
  BASE_SCHEME,
  REVIEW_BUTTON,
  UNDO_ALL_BUTTON,
  baseUriParts,
  finishedMessage,
  markKept,
  markUndone,
  parseBaseUri,
  pendingPaths,
  type Review,
  type ReviewRow,
} from "./review.js";

/** Context key: some finished task has changes the user has not kept or undone. */
const REVIEW_PENDING_KEY = "bora.review.pending";

export class ReviewController implements vscode.Disposable {
  private readonly bag: vscode.Disposable[] = [];

  constructor(private readonly ctx: Ctx) {
    this.bag.push(
      vscode.workspace.registerTextDocumentContentProvider(BASE_SCHEME, {
        provideTextDocumentContent: (uri) => this.baseText(uri),
      }),
      ctx.reviews.onDidChange((review, isNew) => {
        this.updateContext();
        if (isNew) void this.tellFinished(review);
      }),
    );
  }

  dispose(): void {
    for (const d of this.bag.splice(0).reverse()) d.dispose();
  }

  /** The review asked for, or the latest one with files still to decide. */
  reviewFor(taskId: unknown): Review | undefined {
    if (typeof taskId === "string") return this.ctx.reviews.get(taskId);
    return this.ctx.reviews.open().at(-1) ?? this.ctx.reviews.latest();
  }

  /** Opens the diffs of a review's pending files: the multi-diff editor, else the first file's diff. */
  async openAll(taskId: unknown): Promise<void> {
    const review = this.reviewFor(taskId);
    if (review === undefined) {
      void vscode.window.showInformationMessage("Bora: no task has changes to review.");
      return;
    }
    const rows = review.rows.filter((row) => row.state === "pending");
    const shown = rows.length > 0 ? rows : review.rows;
    try {
      await vscode.commands.executeCommand(
        "vscode.changes",
        `Bora: ${review.title}`,
        shown.map((row) => [vscode.Uri.parse(row.uri), ...this.sides(review.taskId, row)]),
      );
    } catch {
      // An editor without the multi-diff editor: one diff, the rest are a click away in the Chat view.
      const first = shown[0];
      if (first !== undefined) await this.openDiff(review.taskId, first.path);
    }
  }

  async openDiff(taskId: unknown, path: unknown): Promise<void> {
    if (typeof taskId !== "string" || typeof path !== "string") return;
    const row = this.ctx.reviews.get(taskId)?.rows.find((r) => r.path === path);
    if (row === undefined) return;
    const [left, right] = this.sides(taskId, row);
    await vscode.commands.executeCommand("vscode.diff", left, right, `${path} (Bora: before ↔ after)`);
  }

  keep(taskId: unknown, path?: unknown): void {
    const review = this.reviewFor(taskId);
    if (review === undefined) return;
    this.ctx.reviews.update(review.taskId, (r) => markKept(r, typeof path === "string" ? path : undefined));
  }

  /** Puts back one file, or every file still pending (kept ones stay as the task left them). */
  async undo(taskId: unknown, path?: unknown): Promise<void> {
    const review = this.reviewFor(taskId);
    if (review === undefined) return;
    const paths = pendingPaths(review, typeof path === "string" ? path : undefined);
    if (paths.length === 0) return;
    const client = await this.ctx.settledClient();
    if (client === undefined) {
      void vscode.window.showWarningMessage(
        "Bora: undoing a task's changes needs the agent host, which is not running.",
      );
      return;
    }
    try {
      const result = await client.sendRequest(UndoTaskChanges.type, { taskId: review.taskId, paths });
      this.ctx.reviews.update(review.taskId, (r) => markUndone(r, result.restored));
    } catch (error) {
      void showProblem(problemOfError(error), "error");
    }
  }

  /** Left: the file at the checkpoint (empty for an added file); right: the file now (empty once deleted). */
  private sides(taskId: string, row: ReviewRow): [vscode.Uri, vscode.Uri] {
    const base = vscode.Uri.from(baseUriParts({ taskId, path: row.path, empty: false }));
    const now =
      row.status === "deleted"
        ? vscode.Uri.from(baseUriParts({ taskId, path: row.path, empty: true }))
        : vscode.Uri.parse(row.uri);
    return [base, now];
  }

  private async baseText(uri: vscode.Uri): Promise<string> {
    const address = parseBaseUri(uri.path, uri.query);
    if (address === undefined || address.empty) return "";
    const client = await this.ctx.settledClient();
    if (client === undefined) throw new Error("The Bora agent host is not running.");
    const { text } = await client.sendRequest(TaskFileBase.type, { taskId: address.taskId, path: address.path });
    return text ?? "";
  }

  private async tellFinished(review: Review): Promise<void> {
    const task = this.ctx.tasks.get(review.taskId);
    if (task === undefined) return;
    const choice = await vscode.window.showInformationMessage(
      finishedMessage(task, review),
      REVIEW_BUTTON,
      UNDO_ALL_BUTTON,
    );
    if (choice === REVIEW_BUTTON) {
      await vscode.commands.executeCommand(BORA_COMMANDS.reviewChanges.id, review.taskId);
    } else if (choice === UNDO_ALL_BUTTON) {
      await this.undo(review.taskId);
    }
  }

  private updateContext(): void {
    void vscode.commands.executeCommand("setContext", REVIEW_PENDING_KEY, this.ctx.reviews.open().length > 0);
  }
}
