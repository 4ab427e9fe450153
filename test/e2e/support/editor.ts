/**
 * Driving the editor of a real VS Code the way a user does: open a file with Quick Open, move to a
 * line, select lines, read what the editor shows. Every wait polls a state; none sleeps.
 */
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import path from "node:path";
import type { Page } from "playwright-core";
import { waitFor } from "../../support/hostProcess.js";
import { HANG_MS, type VsCode } from "./codeServer.js";

const POLL_MS = 100;

/** The active editor's text area (where keys go once it has focus). */
function activeEditor(page: Page) {
  return page.locator(".editor-instance .monaco-editor").first();
}

/** Opens `relative` (a workspace path) with Quick Open and waits until its editor has focus. */
export async function openFile(vscode: VsCode, relative: string): Promise<void> {
  const { page } = vscode;
  const input = page.locator(".quick-input-widget .quick-input-box input");
  await waitFor(
    "Quick Open to open",
    async () => {
      if (await input.isVisible()) return true;
      await page.keyboard.press("Control+P");
      await input.waitFor({ state: "visible", timeout: 5_000 }).catch(() => undefined);
      return input.isVisible();
    },
    HANG_MS,
  );
  const name = path.basename(relative);
  await input.fill(relative);
  const row = page.locator(".quick-input-widget .quick-input-list .monaco-list-row.focused", { hasText: name });
  await row.first().waitFor({ timeout: HANG_MS });
  await input.press("Enter");
  await page.locator(".tabs-container .tab.active", { hasText: name }).waitFor({ timeout: HANG_MS });
  await activeEditor(page).locator("textarea").first().focus();
}

/** Puts the cursor at `line`, `column` (1-based) with Go to Line. */
export async function goToLine(page: Page, line: number, column = 1): Promise<void> {
  await page.keyboard.press("Control+G");
  const input = page.locator(".quick-input-widget .quick-input-box input");
  await input.waitFor({ state: "visible", timeout: HANG_MS });
  await input.fill(`:${line}:${column}`);
  await input.press("Enter");
  await input.waitFor({ state: "hidden", timeout: HANG_MS });
  await waitFor(
    `the cursor to be at line ${line}, column ${column}`,
    async () => {
      const at = await cursorAt(page);
      return at.line === line && at.column === column;
    },
    HANG_MS,
    { seen: async () => JSON.stringify(await cursorAt(page)), intervalMs: POLL_MS },
  );
}

/** Selects whole lines `from`..`to` (1-based, inclusive): from the start of `from` to the start of `to + 1`. */
export async function selectLines(page: Page, from: number, to: number): Promise<void> {
  await goToLine(page, from);
  for (let line = from; line <= to; line++) await page.keyboard.press("Shift+ArrowDown");
}

/** Where the status bar says the cursor is ("Ln 3, Col 5"). */
async function cursorAt(page: Page): Promise<{ line: number; column: number }> {
  const item = page.locator("#workbench\\.parts\\.statusbar .statusbar-item", { hasText: /Ln \d+, Col \d+/ });
  const text = await item
    .first()
    .innerText({ timeout: 5_000 })
    .catch(() => "");
  const match = /Ln (\d+), Col (\d+)/.exec(text);
  return { line: Number(match?.[1] ?? 0), column: Number(match?.[2] ?? 0) };
}

/**
 * The lines the active editor shows, top to bottom (Monaco renders spaces as U+00A0 and keeps only
 * the visible lines in the DOM: use it for short files, and the file on disk for the rest).
 */
export async function editorLines(page: Page): Promise<string[]> {
  const lines = await activeEditor(page)
    .locator(".view-lines .view-line")
    .evaluateAll((elements) =>
      elements.map((e) => {
        const element = e as unknown as { style: { top: string }; textContent: string | null };
        return { top: Number.parseFloat(element.style.top), text: element.textContent ?? "" };
      }),
    );
  return lines.sort((a, b) => a.top - b.top).map((l) => l.text.replace(/\u00a0/g, " "));
}

/** Waits until the editor shows a line equal to `line` (trailing spaces ignored). */
export async function waitForEditorLine(page: Page, line: string, timeoutMs = HANG_MS): Promise<void> {
  let shown: string[] = [];
  await waitFor(
    `the editor to show the line ${JSON.stringify(line)}`,
    async () => {
      shown = await editorLines(page);
      return shown.some((l) => l.trimEnd() === line.trimEnd());
    },
    timeoutMs,
    { seen: () => `the editor shows:\n${shown.join("\n")}`, intervalMs: POLL_MS },
  );
}

/** Saves the active editor and waits until its tab is no longer dirty. */
export async function save(page: Page): Promise<void> {
  await page.keyboard.press("Control+S");
  await page.locator(".tabs-container .tab.active.dirty").waitFor({ state: "detached", timeout: HANG_MS });
}

/** Waits until the file's bytes on disk are `expected`. */
export async function waitForDisk(file: string, expected: string, timeoutMs = HANG_MS): Promise<void> {
  let actual = "";
  await waitFor(
    `${path.basename(file)} on disk to hold the expected text`,
    () => {
      actual = readFileSync(file, "utf8");
      return actual === expected;
    },
    timeoutMs,
    { seen: () => `on disk: ${JSON.stringify(actual)}\nexpected: ${JSON.stringify(expected)}`, intervalMs: POLL_MS },
  );
}

export function sha256(text: string | Buffer): string {
  return createHash("sha256").update(text).digest("hex");
}
