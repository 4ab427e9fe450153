/**
 * A real VS Code for the e2e tier: code-server (VS Code 1.100 with a Node extension host) started
 * on 127.0.0.1 with fresh per-run directories and the Bora extension loaded from this checkout,
 * driven by Debian's Chromium through playwright-core.
 *
 * Every wait here waits for a state (a process, a line in the Bora log, what the workbench shows),
 * never for a stretch of time: the tier runs on shared, loaded machines where the same step takes
 * 1 s or 20 s. Timeouts only bound a hang (HANG_MS) and then say what was awaited and what was seen.
 */
import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { chromium, type BrowserContext, type Page } from "playwright-core";
import { prepareCodeServer, type BoraDirs, type Launch } from "../../../scripts/codeServerLaunch.mjs";
import { waitFor } from "../../support/hostProcess.js";
import { REPO_ROOT } from "../../support/paths.js";

export const CHROMIUM = process.env["BORA_E2E_CHROMIUM"] ?? "/usr/bin/chromium";
export const CODE_SERVER = path.join(REPO_ROOT, ".cache/code-server/node_modules/.bin/code-server");
export const SCREENSHOTS = path.join(REPO_ROOT, "test-results/e2e");

/**
 * How long any single wait may take before it counts as a hang. A quiet 2-core machine needs at
 * most ~15 s for the slowest step (activation); a loaded one several times that.
 */
export const HANG_MS = 120_000;
/** Polling cadence for probes that read /proc or the page: often enough, without adding load. */
const POLL_MS = 100;

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

/** Whether any process of the process group `pgid` is still alive. */
function groupAlive(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch {
    return false;
  }
}

export interface VsCode {
  page: Page;
  url: string;
  workspace: string;
  /** Where the agent host of this run keeps models and state: folders of the run, never the user's. */
  boraDirs: BoraDirs;
  /** PID of the code-server process (its own process group). */
  pid: number;
  /** What code-server wrote so far. */
  log(): string;
  /** The Bora output channel's log file as it is now ("" before the extension created it). */
  boraLog(): string;
  /** Every text the Bora status-bar item showed since the workbench came up, oldest first. */
  statusHistory(): Promise<string[]>;
  /** The message of every notification toast shown since the workbench came up, including hidden ones. */
  notifications(): Promise<string[]>;
  screenshot(name: string): Promise<string>;
  close(): Promise<void>;
}

export interface StartOptions {
  /** Files to put into the opened workspace folder (relative path → content). */
  files?: Record<string, string>;
  /** User settings the run starts with (e.g. the engine a test points Bora at). */
  settings?: Record<string, unknown>;
  /**
   * A VSIX to install into the run's empty extensions folder (`code-server --install-extension`),
   * as a user installs Bora; then nothing links to the checkout. Defaults to linking the checkout in.
   */
  vsix?: string;
}

/** What the recorder keeps in the page (see `installRecorder`). */
interface Recorder {
  status: string[];
  toasts: string[];
}

/**
 * The few DOM names the recorder uses. The test project compiles without the DOM library (it is
 * Node code), and this function alone runs in the page.
 */
interface PageGlobals {
  __boraRecorder?: Recorder;
  document: { body: unknown; querySelectorAll(selector: string): Iterable<{ textContent: string | null }> };
  MutationObserver: new (callback: () => void) => { observe(target: unknown, options: object): void };
}

/**
 * Records what the workbench shows over time, in the page: the Bora status-bar item's texts and the
 * messages of notification toasts. A MutationObserver sees every change, so a state that lasted a
 * moment (a status between two others, a toast that hid itself) is not missed by a poll.
 */
function installRecorder(): void {
  const page = globalThis as unknown as PageGlobals;
  if (page.__boraRecorder) return;
  const recorder: Recorder = { status: [], toasts: [] };
  page.__boraRecorder = recorder;
  // A member assignment, not `const record = ...`: tsx compiles with keepNames, which would wrap a
  // named function in a __name() call that does not exist in the page.
  const run: { record?: () => void } = {};
  run.record = (): void => {
    let status = "(no Bora item)";
    for (const item of page.document.querySelectorAll("#workbench\\.parts\\.statusbar .statusbar-item")) {
      const text = (item.textContent ?? "").trim();
      if (text.includes("Bora:")) {
        status = text;
        break;
      }
    }
    if (recorder.status[recorder.status.length - 1] !== status) recorder.status.push(status);
    for (const message of page.document.querySelectorAll(".notifications-toasts .notification-list-item-message")) {
      const text = (message.textContent ?? "").trim();
      if (text !== "" && !recorder.toasts.includes(text)) recorder.toasts.push(text);
    }
  };
  new page.MutationObserver(run.record).observe(page.document.body, {
    subtree: true,
    childList: true,
    characterData: true,
  });
  run.record();
}

/** What the recorder has seen so far. */
function readRecorder(): Recorder {
  const recorder = (globalThis as unknown as PageGlobals).__boraRecorder;
  return recorder ?? { status: [], toasts: [] };
}

/** The Bora log channel's file: VS Code writes an extension's log channel under the ext host's log folder. */
function findBoraLog(userData: string): string | undefined {
  const logs = path.join(userData, "logs");
  if (!existsSync(logs)) return undefined;
  const found: string[] = [];
  const walk = (dir: string): void => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const p = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(p);
      else if (entry.name === "Bora.log" && path.basename(dir) === "bora.bora") found.push(p);
    }
  };
  walk(logs);
  return found.sort()[found.length - 1];
}

/** Installs `vsix` into the launch's extensions folder with code-server's own installer. */
function installVsix(vsix: string, launch: Launch): void {
  const installed = spawnSync(
    CODE_SERVER,
    ["--user-data-dir", launch.dirs.userData, "--extensions-dir", launch.dirs.extensions, "--install-extension", vsix],
    { env: launch.env, encoding: "utf8", timeout: HANG_MS },
  );
  if (installed.status !== 0)
    throw new Error(`code-server --install-extension ${vsix} failed:\n${installed.stdout}\n${installed.stderr}`);
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
  // The host of a test run keeps its models and state inside the run, and code-server gets a home
  // of its own: nothing the tier starts reads or writes the user's ~/.cache, ~/.local or ~/.config.
  const boraDirs = { modelsDir: path.join(run, "bora-models"), stateDir: path.join(run, "bora-state") };
  const home = path.join(run, "home");
  mkdirSync(home, { recursive: true });
  const launch = prepareCodeServer({
    base: run,
    port,
    folder: workspace,
    boraDirs,
    env: { ...process.env, HOME: home },
    extraSettings: { "files.autoSave": "off", "git.enabled": false, ...options.settings },
    linkCheckout: options.vsix === undefined,
  });
  const userData = launch.dirs.userData;
  if (options.vsix !== undefined) installVsix(options.vsix, launch);
  let log = "";
  const child = spawn(CODE_SERVER, launch.args, { detached: true, stdio: ["ignore", "pipe", "pipe"], env: launch.env });
  child.stdout?.on("data", (d: Buffer) => (log += d.toString()));
  child.stderr?.on("data", (d: Buffer) => (log += d.toString()));
  const pid = child.pid!;
  const stopGroup = async (): Promise<void> => {
    try {
      process.kill(-pid, "SIGTERM");
    } catch {
      return; // Already gone.
    }
    // code-server takes its children down on SIGTERM; SIGKILL only what is left after that.
    await waitFor("code-server's process group to exit after SIGTERM", () => !groupAlive(pid), 10_000, {
      intervalMs: POLL_MS,
    }).catch(() => {
      try {
        process.kill(-pid, "SIGKILL");
      } catch {
        // Gone meanwhile.
      }
    });
  };
  const boraLog = (): string => {
    const file = findBoraLog(userData);
    return file === undefined ? "" : readFileSync(file, "utf8");
  };

  let context: BrowserContext | undefined;
  let page: Page | undefined;
  try {
    let lastHealth = "no answer yet";
    await waitFor(
      `code-server to answer ${url}/healthz`,
      async () => {
        if (child.exitCode !== null) throw new Error(`code-server exited with ${child.exitCode}:\n${log}`);
        try {
          const res = await fetch(`${url}/healthz`);
          lastHealth = `HTTP ${res.status}`;
          return res.ok;
        } catch (error) {
          lastHealth = (error as Error).message;
          return false;
        }
      },
      HANG_MS,
      { seen: () => `${lastHealth}; code-server log:\n${log}`, intervalMs: POLL_MS * 2 },
    );
    context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      viewport: { width: 1400, height: 900 },
      args: CHROMIUM_ARGS,
      timeout: HANG_MS,
    });
    // Playwright's own waits (clicks, fills, navigation) default to 30 s, sized for a quiet machine.
    context.setDefaultTimeout(HANG_MS);
    context.setDefaultNavigationTimeout(HANG_MS);
    const p = context.pages()[0] ?? (await context.newPage());
    page = p;
    p.on("pageerror", (error) => (log += `\n[pageerror] ${error.message}`));
    await p.goto(launch.url);
    await p.locator(".monaco-workbench .activitybar .action-item").first().waitFor();
    await p.evaluate(installRecorder);
    const throttle = Number(process.env["BORA_E2E_CPU_THROTTLE"] ?? "1");
    if (throttle > 1) {
      // A stress knob for finding waits that assume timing: the workbench runs `throttle` times slower.
      const cdp = await context.newCDPSession(p);
      await cdp.send("Emulation.setCPUThrottlingRate", { rate: throttle });
    }
    mkdirSync(SCREENSHOTS, { recursive: true });
    const ctx = context;
    return {
      page: p,
      url,
      workspace,
      boraDirs,
      pid,
      log: () => log,
      boraLog,
      statusHistory: async () => (await p.evaluate(readRecorder)).status,
      notifications: async () => (await p.evaluate(readRecorder)).toasts,
      async screenshot(name) {
        const file = path.join(SCREENSHOTS, `${name}.png`);
        await p.screenshot({ path: file });
        return file;
      },
      async close() {
        await ctx.close().catch(() => undefined);
        await stopGroup();
        // A debugging knob: keep the run's folders (VS Code's logs, the host's state) to read after.
        if (process.env["BORA_E2E_KEEP"] === "1") process.stderr.write(`e2e: kept ${run}\n`);
        else rmSync(run, { recursive: true, force: true, maxRetries: 5 });
      },
    };
  } catch (error) {
    if (page !== undefined) {
      mkdirSync(SCREENSHOTS, { recursive: true });
      await page.screenshot({ path: path.join(SCREENSHOTS, "failed-startup.png") }).catch(() => undefined);
    }
    await context?.close().catch(() => undefined);
    await stopGroup();
    rmSync(run, { recursive: true, force: true, maxRetries: 5 });
    throw error;
  }
}

/**
 * Whether a quick-pick row's aria-label ("Bora: Show Logs, recently used", "Bora: Pull Model…") names
 * `title` exactly: "Preferences: Open User Settings" is not "... Settings (JSON)".
 */
function isCommandRow(ariaLabel: string | null, title: string): boolean {
  const label = (ariaLabel ?? "").split(", ")[0]!.replace(/…$/, "");
  return label === title;
}

/**
 * Runs a command from the command palette by its title, e.g. "Bora: Show Logs", and returns once the
 * palette has accepted it. It presses Enter only when the highlighted row is that command: the list
 * is filtered asynchronously, and Enter on a list not yet filtered would run whatever was on top.
 */
export async function runCommand(page: Page, title: string): Promise<void> {
  const widget = page.locator(".quick-input-widget");
  const input = widget.locator(".quick-input-box input");
  // Reads without waiting: a poll step must not sit in Playwright's own auto-wait.
  const valueNow = (): Promise<string> => input.inputValue({ timeout: 1_000 }).catch(() => "");
  const paletteOpen = async (): Promise<boolean> => (await widget.isVisible()) && (await valueNow()).startsWith(">");
  // F1 can be swallowed while focus sits somewhere that is just closing (a quick input, a toast), so
  // press it again while the palette is not open; Escape first only if another quick input is up.
  await waitFor(
    "the command palette to open",
    async () => {
      if (await paletteOpen()) return true;
      if (await widget.isVisible()) await page.keyboard.press("Escape");
      await page.keyboard.press("F1");
      await input.waitFor({ state: "visible", timeout: 5_000 }).catch(() => undefined);
      return paletteOpen();
    },
    HANG_MS,
    { seen: async () => `quick input visible: ${await widget.isVisible()}, value: ${await valueNow()}` },
  );
  const typed = `>${title}`;
  await input.fill(typed);
  const focused = widget.locator(".quick-input-list .monaco-list-row.focused").first();
  const focusedLabel = async (): Promise<string | null> =>
    (await focused.count()) > 0 ? focused.getAttribute("aria-label", { timeout: 1_000 }).catch(() => null) : null;
  await waitFor(
    `the palette to highlight "${title}"`,
    async () => {
      // A late F1 resets the palette to ">"; type again then.
      if ((await valueNow()) !== typed) await input.fill(typed);
      return isCommandRow(await focusedLabel(), title);
    },
    HANG_MS,
    {
      seen: async () => `input "${await valueNow()}", highlighted row "${await focusedLabel()}"`,
      intervalMs: POLL_MS,
    },
  );
  await input.press("Enter");
  // Accepted: the palette closed, or its input now serves the command (e.g. an input box it opened).
  await waitFor(
    `the palette to accept "${title}"`,
    async () => !(await widget.isVisible()) || (await valueNow()) !== typed,
    HANG_MS,
    { intervalMs: POLL_MS },
  );
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

/** Waits until exactly one process below `rootPid` matches `pattern` and `accept` takes it; returns its PID. */
export async function waitForOneProcess(
  what: string,
  rootPid: number,
  pattern: RegExp,
  accept: (pid: number) => boolean = () => true,
): Promise<number> {
  let seen: number[] = [];
  return waitFor(
    what,
    () => {
      seen = descendantPids(rootPid, pattern);
      return seen.length === 1 && accept(seen[0]!) ? seen[0] : undefined;
    },
    HANG_MS,
    { seen: () => `processes: [${seen.join(", ")}]`, intervalMs: POLL_MS },
  );
}

/** The environment a process started with (Linux /proc). */
export function processEnv(pid: number): Record<string, string> {
  const env: Record<string, string> = {};
  for (const entry of readFileSync(`/proc/${pid}/environ`, "utf8").split("\0")) {
    const eq = entry.indexOf("=");
    if (eq > 0) env[entry.slice(0, eq)] = entry.slice(eq + 1);
  }
  return env;
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

/** How many times `pattern` occurs in `text`. */
export function countMatches(text: string, pattern: RegExp): number {
  return (
    text.match(new RegExp(pattern.source, pattern.flags.includes("g") ? pattern.flags : `${pattern.flags}g`))?.length ??
    0
  );
}

/**
 * Waits until the Bora log holds at least `count` lines matching `pattern` (Defaults to 1), and
 * returns the log. The log file is the whole channel, unlike the Output view, which renders only
 * the lines that fit on screen.
 */
export async function waitForLog(vscode: VsCode, pattern: RegExp, count = 1): Promise<string> {
  let text = "";
  return waitFor(
    count === 1 ? `the Bora log to show ${pattern}` : `the Bora log to show ${pattern} ${count} times`,
    () => {
      text = vscode.boraLog();
      return countMatches(text, pattern) >= count ? text : undefined;
    },
    HANG_MS,
    { seen: () => `the Bora log:\n${text.split("\n").slice(-15).join("\n")}`, intervalMs: POLL_MS },
  );
}

/**
 * Waits until the Bora status-bar item shows `pattern`. With `since` (a length of `statusHistory()`
 * taken before an action), it must also have shown something else after that point: after a
 * restart, the "ready" of the host that was stopped does not count.
 */
export async function waitForStatus(vscode: VsCode, pattern: RegExp, since?: number): Promise<string> {
  let history: string[] = [];
  return waitFor(
    since === undefined ? `the status bar to show ${pattern}` : `the status bar to leave and come back to ${pattern}`,
    async () => {
      history = await vscode.statusHistory();
      const now = history[history.length - 1] ?? "";
      if (!pattern.test(now)) return undefined;
      if (since !== undefined && !history.slice(since).some((text) => !pattern.test(text))) return undefined;
      return now;
    },
    HANG_MS,
    { seen: () => `status-bar texts so far: ${JSON.stringify(history)}`, intervalMs: POLL_MS },
  );
}

/** Waits until a notification toast with `text` has been shown (it may have hidden itself since). */
export async function waitForNotification(vscode: VsCode, text: string): Promise<void> {
  let shown: string[] = [];
  await waitFor(
    `a notification "${text}"`,
    async () => {
      shown = await vscode.notifications();
      return shown.some((message) => message.includes(text));
    },
    HANG_MS,
    { seen: () => `notifications so far: ${JSON.stringify(shown)}`, intervalMs: POLL_MS },
  );
}

/**
 * Waits until the workbench knows the output channel `label` (Bora's "Bora"): it opens the Output
 * view, waits for the channel in its channel list, and closes the panel again, so that what opens it
 * next is the command under test. The extension creates its log channel at activation, but the
 * workbench registers it a moment later, and until then the channel's `show()` (Bora: Show Logs)
 * is dropped without a word: the workbench's `$reveal` returns when it does not know the channel.
 */
export async function waitForOutputChannel(vscode: VsCode, label: string): Promise<void> {
  const panel = vscode.page.locator(".part.panel");
  await runCommand(vscode.page, "Output: Focus on Output View");
  const options = panel.locator("select.monaco-select-box option");
  let seen: string[] = [];
  await waitFor(
    `the Output view to list the channel "${label}"`,
    async () => {
      seen = await options.evaluateAll((elements) => elements.map((e) => e.textContent ?? ""));
      return seen.includes(label);
    },
    HANG_MS,
    { seen: () => `channels listed: ${JSON.stringify([...new Set(seen)])}`, intervalMs: POLL_MS },
  );
  await runCommand(vscode.page, "View: Toggle Panel Visibility");
  await panel.waitFor({ state: "hidden" });
}

/** Text without any whitespace: the Output view wraps long lines and renders spaces as U+00A0. */
const squeeze = (text: string): string => text.replace(/[\s\u00a0]+/g, "");

/**
 * Waits until the panel shows the Output view on the Bora channel, scrolled to the end of it: its
 * visible lines include the last line of the Bora log file.
 */
export async function waitForOutputShowsLog(vscode: VsCode): Promise<void> {
  let shown = "";
  let last = "";
  await waitFor(
    "the Output view to show the end of the Bora log",
    async () => {
      const lines = vscode.boraLog().trimEnd().split("\n");
      last = lines[lines.length - 1] ?? "";
      shown = (
        await vscode.page
          .locator(".part.panel .view-lines")
          .allInnerTexts()
          .catch(() => [] as string[])
      ).join("\n");
      return last !== "" && squeeze(shown).includes(squeeze(last));
    },
    HANG_MS,
    { seen: () => `the log's last line:\n${last}\nthe panel:\n${shown}`, intervalMs: POLL_MS },
  );
}

/**
 * Waits until the panel's visible text matches `pattern` and returns it. It sees only the lines on
 * screen (the Output view renders no others), so a line that scrolled away is never found: for what
 * the Bora log holds, use `waitForLog`.
 */
export async function waitForPanelText(page: Page, pattern: RegExp, timeoutMs = HANG_MS): Promise<string> {
  let text = "";
  return waitFor(
    `the panel to show ${pattern}`,
    async () => {
      text = (
        await page
          .locator(".part.panel .view-lines")
          .allInnerTexts()
          .catch(() => [] as string[])
      )
        .join("\n")
        .replace(/\u00a0/g, " ");
      return pattern.test(text) ? text : undefined;
    },
    timeoutMs,
    { seen: () => `the panel:\n${text}`, intervalMs: POLL_MS },
  );
}
