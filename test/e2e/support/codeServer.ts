/**
 * A real VS Code for the e2e tier: code-server (VS Code 1.100 with a Node extension host) started
 * on 127.0.0.1 with fresh per-run directories and the Bora extension loaded from this checkout,
 * driven by Debian's Chromium through playwright-core.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { chromium, type BrowserContext, type Page } from "playwright-core";
import { prepareCodeServer } from "../../../scripts/codeServerLaunch.mjs";
import { REPO_ROOT } from "../../support/paths.js";

export const CHROMIUM = process.env["BORA_E2E_CHROMIUM"] ?? "/usr/bin/chromium";
export const CODE_SERVER = path.join(REPO_ROOT, ".cache/code-server/node_modules/.bin/code-server");
export const SCREENSHOTS = path.join(REPO_ROOT, "test-results/e2e");

const CHROMIUM_ARGS = [
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  // Without these Chromium keeps trying hosts this machine cannot reach.
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

async function waitForHealth(url: string, timeoutMs: number, child: ChildProcess, log: () => string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`code-server exited with ${child.exitCode}:\n${log()}`);
    try {
      const res = await fetch(`${url}/healthz`);
      if (res.ok) return;
    } catch {
      // Not listening yet.
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`code-server did not answer /healthz within ${timeoutMs} ms:\n${log()}`);
}

export interface VsCode {
  page: Page;
  url: string;
  workspace: string;
  /** PID of the code-server process (its own process group). */
  pid: number;
  /** What code-server wrote so far. */
  log(): string;
  screenshot(name: string): Promise<string>;
  close(): Promise<void>;
}

export interface StartOptions {
  /** Files to put into the opened workspace folder (relative path → content). */
  files?: Record<string, string>;
}

export async function startVsCode(options: StartOptions = {}): Promise<VsCode> {
  const run = mkdtempSync(path.join(os.tmpdir(), "bora-e2e-"));
  const workspace = path.join(run, "ws");
  const profile = path.join(run, "profile");
  for (const [rel, content] of Object.entries(options.files ?? {})) {
    mkdirSync(path.dirname(path.join(workspace, rel)), { recursive: true });
    writeFileSync(path.join(workspace, rel), content);
  }
  mkdirSync(workspace, { recursive: true });
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const launch = prepareCodeServer({
    base: run,
    port,
    folder: workspace,
    extraSettings: { "files.autoSave": "off", "git.enabled": false },
  });
  let log = "";
  const child = spawn(CODE_SERVER, launch.args, { detached: true, stdio: ["ignore", "pipe", "pipe"], env: launch.env });
  child.stdout?.on("data", (d: Buffer) => (log += d.toString()));
  child.stderr?.on("data", (d: Buffer) => (log += d.toString()));
  const pid = child.pid!;
  const killGroup = (signal: NodeJS.Signals): void => {
    try {
      process.kill(-pid, signal);
    } catch {
      // Already gone.
    }
  };

  let context: BrowserContext | undefined;
  try {
    await waitForHealth(url, 60_000, child, () => log);
    context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      viewport: { width: 1400, height: 900 },
      args: CHROMIUM_ARGS,
    });
    const page = context.pages()[0] ?? (await context.newPage());
    page.on("pageerror", (error) => (log += `\n[pageerror] ${error.message}`));
    await page.goto(launch.url);
    await page.locator(".monaco-workbench .activitybar .action-item").first().waitFor({ timeout: 90_000 });
    mkdirSync(SCREENSHOTS, { recursive: true });
    const ctx = context;
    return {
      page,
      url,
      workspace,
      pid,
      log: () => log,
      async screenshot(name) {
        const file = path.join(SCREENSHOTS, `${name}.png`);
        await page.screenshot({ path: file });
        return file;
      },
      async close() {
        await ctx.close().catch(() => undefined);
        killGroup("SIGTERM");
        await new Promise((r) => setTimeout(r, 500));
        killGroup("SIGKILL");
        rmSync(run, { recursive: true, force: true });
      },
    };
  } catch (error) {
    await context?.close().catch(() => undefined);
    killGroup("SIGKILL");
    rmSync(run, { recursive: true, force: true });
    throw error;
  }
}

/** Runs a command from the command palette by its title, e.g. "Bora: Show Logs". */
export async function runCommand(page: Page, title: string): Promise<void> {
  const input = page.locator(".quick-input-widget .quick-input-box input");
  // F1 can be swallowed while focus sits somewhere that just closed (a quick input, a toast):
  // Escape, then F1 again until the palette shows.
  for (let attempt = 1; ; attempt++) {
    await page.keyboard.press("Escape");
    await page.keyboard.press("F1");
    try {
      await input.waitFor({ state: "visible", timeout: 5_000 });
      break;
    } catch (error) {
      if (attempt >= 3) throw error;
    }
  }
  await input.fill(`>${title}`);
  const row = page.locator(".quick-input-widget .quick-input-list .monaco-list-row", { hasText: title }).first();
  await row.waitFor({ timeout: 15_000 });
  await input.press("Enter");
}

/** PIDs of the processes below `rootPid` whose command line matches `pattern` (Linux /proc). */
export function descendantPids(rootPid: number, pattern: RegExp): number[] {
  const parentOf = new Map<number, number>();
  const cmdline = new Map<number, string>();
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
      const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
      parentOf.set(Number(entry), ppid);
      cmdline.set(Number(entry), readFileSync(`/proc/${entry}/cmdline`, "utf8").replace(/\0/g, " "));
    } catch {
      // The process ended while we looked.
    }
  }
  const isBelow = (pid: number): boolean => {
    for (let p = parentOf.get(pid); p !== undefined && p > 1; p = parentOf.get(p)) if (p === rootPid) return true;
    return false;
  };
  return [...cmdline.entries()].filter(([pid, cmd]) => pattern.test(cmd) && isBelow(pid)).map(([pid]) => pid);
}

/** Copies a fixture folder's files into a record for `StartOptions.files`. */
export function fixtureFiles(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (rel: string): void => {
    for (const name of readdirSync(path.join(dir, rel), { withFileTypes: true })) {
      const r = path.join(rel, name.name);
      if (name.isDirectory()) walk(r);
      else out[r] = readFileSync(path.join(dir, r), "utf8");
    }
  };
  walk("");
  return out;
}

/** Waits until the panel's visible text (the Output view) matches `pattern`; Monaco renders spaces as U+00A0. */
export async function waitForPanelText(page: Page, pattern: RegExp, timeoutMs = 20_000): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  let text = "";
  while (Date.now() < deadline) {
    text = (
      await page
        .locator(".part.panel .view-lines")
        .allInnerTexts()
        .catch(() => [] as string[])
    )
      .join("\n")
      .replace(/\u00a0/g, " ");
    if (pattern.test(text)) return text;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`the panel never showed ${pattern}; it showed:\n${text}`);
}
