/**
 * Driving Bora's sidebar and its set-up flows in code-server, as the sidebar tests share them: a
 * view of the Bora container by its title, a row of it by its text, and the quick input's answers.
 */
import type { Locator } from "playwright-core";
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
