/**
 * Driving Bora's sidebar and its set-up flows in code-server, as the sidebar tests share them: a
 * view of the Bora container by its title, a row of it by its text, and the quick input's answers.
 */
import { chmodSync } from "node:fs";
import path from "node:path";
import type { Locator } from "playwright-core";
import { FIXED, git } from "../../integration/workflows/support/shopRepo.js";
import { HANG_MS, type VsCode } from "./codeServer.js";

export interface SidebarDriver {
  /** The pane whose header says `name` (Work Items, Tasks, Chat). */
  view(name: string): Locator;
  /** The rows of that pane with `text`. */
  row(name: string, text: string | RegExp): Locator;
  /** The quick input's box, once its title says `title`: types `value` and presses Enter. */
  answer(title: RegExp, value: string): Promise<void>;
}

export function sidebarDriver(vscode: () => VsCode): SidebarDriver {
  const view = (name: string) =>
    vscode().page.locator(".pane", { has: vscode().page.locator(".pane-header", { hasText: name }) });
  return {
    view,
    row: (name, text) => view(name).locator(".monaco-list-row", { hasText: text }),
    async answer(title, value) {
      const page = vscode().page;
      await page.locator(".quick-input-widget .quick-input-title", { hasText: title }).waitFor({ timeout: HANG_MS });
      const input = page.locator(".quick-input-widget .quick-input-box input");
      await input.fill(value);
      await input.press("Enter");
    },
  };
}

/**
 * The scripted model of the sidebar's issue-to-PR tests: one turn writes the fix, the next says so.
 * Each task's conversation picks its turn, so a resumed or handed-off task does not share a counter.
 */
export function shopFixScript(options: { chunkDelayMs?: number } = {}): unknown {
  return {
    turnFrom: "conversation",
    ...(options.chunkDelayMs !== undefined && { chunkDelayMs: options.chunkDelayMs }),
    turns: [
      {
        content: "The discount is multiplied in instead of taken off.",
        tool_calls: [{ name: "write_file", arguments: { path: "src/cart.js", content: FIXED } }],
      },
      { content: "Fixed total(): it takes the discount off the sum." },
    ],
  };
}

/**
 * Makes the run's workspace a checkout of the remote, as a developer's is: fetched from the seed,
 * since the remote's server runs in the test's process, which a synchronous git call would block.
 * As root (CI), PostgreSQL runs as "postgres", which must reach the state folder in the run's folder.
 */
export function workspaceAsCheckout(vscode: VsCode, seed: string, origin: string): void {
  const ws = vscode.workspace;
  git(["init", "--quiet", "--initial-branch=main"], ws);
  git(["config", "user.name", "Shop Dev"], ws);
  git(["config", "user.email", "dev@shop.example"], ws);
  git(["fetch", "--quiet", seed, "main"], ws);
  git(["reset", "--quiet", "--hard", "FETCH_HEAD"], ws);
  git(["remote", "add", "origin", origin], ws);
  chmodSync(path.dirname(vscode.boraDirs.stateDir), 0o755);
}
