/**
 * Text search over the run's root for the `search` tool. It uses ripgrep when it is on PATH, else
 * `git grep` inside a repository, else a JavaScript walk; all three skip what `.gitignore` excludes,
 * skip binary files, and return the same shape, so the model cannot tell which one ran.
 */
import { accessSync, constants } from "node:fs";
import { readFile, readdir } from "node:fs/promises";
import path from "node:path";
import { GitIgnore, matchesGlob } from "./globs.js";
import { repoTopLevel } from "./git.js";
import type { Spawner, StopCause } from "./spawner.js";

export interface SearchMatch {
  /** Relative to the root, POSIX separators. */
  path: string;
  line: number;
  text: string;
}

export interface SearchRequest {
  root: string;
  /** A regular expression (the common subset of Rust regex, POSIX ERE and JavaScript). */
  pattern: string;
  /** Directory or file to search, absolute, inside the root. Defaults to the root. */
  under?: string;
  /** Only files whose path matches this glob, e.g. `*.ts` or `src/**\/*.test.ts`. */
  glob?: string;
  /** Stop after this many matches. */
  maxMatches: number;
  signal?: AbortSignal;
  /** Starts ripgrep or git grep, so that a shutdown of its owner ends them. */
  spawner: Spawner;
}

export interface SearchResult {
  matches: SearchMatch[];
  /** True when there were more matches than `maxMatches`. */
  truncated: boolean;
  backend: "ripgrep" | "git-grep" | "js";
}

export type SearchBackend = SearchResult["backend"];

export class SearchPatternError extends Error {
  override readonly name = "SearchPatternError";
}

/** The search was cancelled or its owner shut down before it finished. */
export class SearchStoppedError extends Error {
  override readonly name = "SearchStoppedError";
}

const MAX_LINE = 300;

const STOPPED: Record<StopCause, string> = {
  abort: "the search was cancelled",
  timeout: "the search ran out of time",
  maxOutput: "the search printed too many errors and was stopped",
  shutdown: "the search was stopped: the host is shutting down",
};

function onPath(binary: string): boolean {
  for (const dir of (process.env["PATH"] ?? "").split(path.delimiter)) {
    try {
      accessSync(path.join(dir, binary), constants.X_OK);
      return true;
    } catch {
      // Not here.
    }
  }
  return false;
}

function clip(text: string): string {
  return text.length > MAX_LINE ? `${text.slice(0, MAX_LINE)}…` : text;
}

/** Runs a grep-like tool printing `path\0line:text` lines, stopping once enough matches came. */
async function runGrep(
  file: string,
  args: string[],
  cwd: string,
  request: SearchRequest,
  backend: SearchBackend,
  toRel: (p: string) => string,
): Promise<SearchResult> {
  const matches: SearchMatch[] = [];
  let truncated = false;
  let pending = "";
  // Enough matches stop the tool the same way the caller's signal does: its group is killed.
  const enough = new AbortController();
  const signal = request.signal ? AbortSignal.any([request.signal, enough.signal]) : enough.signal;
  const onStdout = (chunk: Buffer): void => {
    if (truncated) return;
    pending += chunk.toString("utf8");
    const lines = pending.split("\n");
    pending = lines.pop() ?? "";
    for (const raw of lines) {
      const nul = raw.indexOf("\0");
      if (nul < 0) continue;
      // rg prints `path\0line:text`, git grep -z `path\0line\0text`.
      const rest = /^(\d+)[:\0]([\s\S]*)$/.exec(raw.slice(nul + 1));
      if (rest === null) continue;
      if (matches.length >= request.maxMatches) {
        truncated = true;
        enough.abort();
        return;
      }
      matches.push({ path: toRel(raw.slice(0, nul)), line: Number(rest[1]), text: clip(rest[2] ?? "") });
    }
  };
  const result = await request.spawner.run(file, args, { cwd, signal, onStdout });
  if (truncated) return { matches, truncated, backend };
  if (result.stoppedBy !== undefined) throw new SearchStoppedError(STOPPED[result.stoppedBy]);
  // Both tools exit 1 for "no match"; 2 (rg) or 128 (git) for a bad pattern.
  if (result.exitCode === 0 || result.exitCode === 1) return { matches, truncated, backend };
  throw new SearchPatternError(
    result.stderr.trim().split("\n").slice(0, 3).join(" ") || `exit ${result.exitCode ?? result.signal}`,
  );
}

function ripgrep(request: SearchRequest): Promise<SearchResult> {
  const under = request.under ?? request.root;
  const args = [
    "--line-number",
    "--no-heading",
    "--null",
    "--color",
    "never",
    "--no-messages",
    "--max-columns",
    "1000",
  ];
  // rg only reads .gitignore inside a repository unless told otherwise; a plain folder's .gitignore counts too.
  args.push("--no-require-git");
  if (request.glob) args.push("--glob", request.glob);
  args.push("--regexp", request.pattern, "--", path.relative(request.root, under) || ".");
  return runGrep("rg", args, request.root, request, "ripgrep", (p) => p.replace(/^\.\//, ""));
}

function gitGrep(request: SearchRequest): Promise<SearchResult> {
  const under = request.under ?? request.root;
  const rel = path.relative(request.root, under).split(path.sep).join("/");
  const args = ["grep", "--untracked", "--exclude-standard", "-I", "-n", "-z", "-E", "--no-color"];
  let pathspec = rel === "" ? "." : rel;
  if (request.glob) {
    const glob = request.glob.includes("/") ? request.glob.replace(/^\//, "") : `**/${request.glob}`;
    pathspec = `:(glob)${rel === "" ? glob : `${rel}/${glob}`}`;
  }
  args.push("-e", request.pattern, "--", pathspec);
  return runGrep("git", ["-c", "core.quotePath=false", ...args], request.root, request, "git-grep", (p) => p);
}

async function jsSearch(request: SearchRequest): Promise<SearchResult> {
  let regex: RegExp;
  try {
    regex = new RegExp(request.pattern, "u");
  } catch (error) {
    throw new SearchPatternError((error as Error).message);
  }
  const matches: SearchMatch[] = [];
  let truncated = false;
  const walk = async (dir: string, ignores: { base: string; rules: GitIgnore }[]): Promise<void> => {
    if (truncated || request.signal?.aborted) return;
    const here = [...ignores];
    const gitignore = await readFile(path.join(dir, ".gitignore"), "utf8").catch(() => undefined);
    if (gitignore !== undefined) here.push({ base: dir, rules: new GitIgnore(gitignore) });
    const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
    entries.sort((a, b) => a.name.localeCompare(b.name));
    for (const entry of entries) {
      if (entry.name === ".git") continue;
      const full = path.join(dir, entry.name);
      const isDir = entry.isDirectory();
      let ignored = false;
      for (const { base, rules } of here) {
        const verdict = rules.decide(path.relative(base, full).split(path.sep).join("/"), isDir);
        if (verdict !== undefined) ignored = verdict;
      }
      if (ignored) continue;
      const rel = path.relative(request.root, full).split(path.sep).join("/");
      if (isDir) {
        await walk(full, here);
      } else if (entry.isFile()) {
        if (request.glob && !matchesGlob(rel, request.glob)) continue;
        const bytes = await readFile(full).catch(() => undefined);
        if (bytes === undefined || bytes.subarray(0, 8192).includes(0)) continue;
        const lines = bytes.toString("utf8").split(/\r?\n/);
        for (let i = 0; i < lines.length; i++) {
          if (!regex.test(lines[i]!)) continue;
          if (matches.length >= request.maxMatches) {
            truncated = true;
            return;
          }
          matches.push({ path: rel, line: i + 1, text: clip(lines[i]!) });
        }
      }
      if (truncated) return;
    }
  };
  await walk(request.under ?? request.root, []);
  return { matches, truncated, backend: "js" };
}

/**
 * Searches with the best backend available; `prefer` forces one (tests use it to cover all three).
 */
export async function searchText(request: SearchRequest, prefer?: SearchBackend): Promise<SearchResult> {
  if (prefer === "js") return jsSearch(request);
  if (prefer === "ripgrep" || (prefer === undefined && onPath("rg"))) return ripgrep(request);
  const top = await repoTopLevel(request.root, { spawner: request.spawner });
  if (top !== undefined) return gitGrep(request);
  if (prefer === "git-grep") throw new Error("git grep needs the root to be inside a git repository");
  return jsSearch(request);
}
