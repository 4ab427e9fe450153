/**
 * A real git remote over HTTP on 127.0.0.1: a `node:http` server that runs `git http-backend` as a
 * CGI program over a temporary folder of bare repositories, so pushes and fetches go through git's
 * own smart-HTTP protocol. Like GitHub it takes `Authorization: Basic base64("x-access-token:" +
 * token)` and answers anything else with 401 and `WWW-Authenticate`, which makes a git that may not
 * prompt (`GIT_TERMINAL_PROMPT=0`) fail at once instead of hanging. It counts requests and pushes,
 * and never records the Authorization header itself.
 */
import { execFileSync, spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import http from "node:http";
import type { AddressInfo } from "node:net";
import os from "node:os";
import path from "node:path";

export interface GitRemoteRequest {
  method: string;
  /** The path, e.g. `/octo/app.git/info/refs`. */
  path: string;
  /** `git-upload-pack` (fetch) or `git-receive-pack` (push), when the request names one. */
  service?: string;
  authorized: boolean;
  status: number;
}

/** Bytes of a request body http-backend will buffer; git sends packs of a test repo well below this. */
const MAX_REQUEST_BUFFER = "64m";

/** Runs git for the fake's own housekeeping (not the code under test): no hooks, no prompts, no user config. */
function hostGit(args: string[], cwd?: string): string {
  return execFileSync("git", ["-c", "core.hooksPath=/dev/null", ...args], {
    cwd,
    encoding: "utf8",
    env: { ...process.env, GIT_TERMINAL_PROMPT: "0", GIT_CONFIG_NOSYSTEM: "1", GIT_CONFIG_GLOBAL: "/dev/null" },
  });
}

export class GitRemoteFake {
  /** The folder of bare repositories (`GIT_PROJECT_ROOT`). */
  readonly root = mkdtempSync(path.join(os.tmpdir(), "bora-git-remote-"));
  readonly requests: GitRemoteRequest[] = [];
  url = "";
  private server: http.Server | undefined;
  private readonly authorization: string;

  constructor(token: string) {
    this.authorization = `Basic ${Buffer.from(`x-access-token:${token}`).toString("base64")}`;
  }

  /** Completed pushes: receive-pack POSTs the backend answered with 200. */
  get pushes(): number {
    return this.requests.filter((r) => r.method === "POST" && r.service === "git-receive-pack" && r.status === 200)
      .length;
  }

  /** Requests refused for want of the right token. */
  get refused(): number {
    return this.requests.filter((r) => !r.authorized).length;
  }

  async start(): Promise<this> {
    this.server = http.createServer((req, res) => this.handle(req, res));
    await new Promise<void>((resolve) => this.server?.listen(0, "127.0.0.1", resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this;
  }

  async close(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
    rmSync(this.root, { recursive: true, force: true });
  }

  /**
   * Creates the bare repository `name` (`owner/repo.git`) that accepts pushes, holding every branch
   * and tag of the local repository `seedFrom` when given. Returns its URL on this remote.
   */
  createRepo(name: string, seedFrom?: string): string {
    if (!/^[\w.-]+\/[\w.-]+\.git$/.test(name)) throw new Error(`fake git remote: bad repository name ${name}`);
    const dir = path.join(this.root, name);
    hostGit(["init", "--quiet", "--bare", dir]);
    hostGit(["config", "http.receivepack", "true"], dir);
    if (seedFrom) {
      hostGit(["push", "--quiet", dir, "refs/heads/*:refs/heads/*", "refs/tags/*:refs/tags/*"], seedFrom);
      // The remote's default branch is the one the seed has checked out, as on a forge after a first push.
      let current: string | undefined;
      try {
        current = hostGit(["symbolic-ref", "--quiet", "HEAD"], seedFrom).trim();
      } catch {
        current = undefined; // a detached HEAD: keep git's default
      }
      if (current) hostGit(["symbolic-ref", "HEAD", current], dir);
    }
    return this.repoUrl(name);
  }

  repoUrl(name: string): string {
    return `${this.url}/${name}`;
  }

  /** The commit a branch of repository `name` points at, or undefined when it has no such branch. */
  branch(name: string, branch: string): string | undefined {
    try {
      return hostGit(
        ["rev-parse", "--verify", "--quiet", `refs/heads/${branch}^{commit}`],
        path.join(this.root, name),
      ).trim();
    } catch {
      return undefined;
    }
  }

  private handle(req: http.IncomingMessage, res: http.ServerResponse): void {
    const url = new URL(req.url ?? "/", "http://fake.invalid");
    const service =
      url.searchParams.get("service") ?? /\/(git-(?:upload|receive)-pack)$/.exec(url.pathname)?.[1] ?? undefined;
    const record: GitRemoteRequest = {
      method: req.method ?? "GET",
      path: url.pathname,
      ...(service ? { service } : {}),
      authorized: req.headers.authorization === this.authorization,
      status: 0,
    };
    this.requests.push(record);
    if (!record.authorized) {
      record.status = 401;
      req.resume();
      res.writeHead(401, { "WWW-Authenticate": 'Basic realm="bora fake git"', "content-type": "text/plain" });
      res.end("Authentication required\n");
      return;
    }
    const cgi = spawn("git", ["http-backend"], {
      env: {
        PATH: process.env.PATH ?? "/usr/bin:/bin",
        GIT_PROJECT_ROOT: this.root,
        GIT_HTTP_EXPORT_ALL: "1",
        GIT_HTTP_MAX_REQUEST_BUFFER: MAX_REQUEST_BUFFER,
        GIT_CONFIG_NOSYSTEM: "1",
        GIT_CONFIG_GLOBAL: "/dev/null",
        REQUEST_METHOD: record.method,
        PATH_INFO: decodeURIComponent(url.pathname),
        QUERY_STRING: url.search.replace(/^\?/, ""),
        CONTENT_TYPE: req.headers["content-type"] ?? "",
        ...(req.headers["content-length"] ? { CONTENT_LENGTH: req.headers["content-length"] } : {}),
        // git gzips large request bodies; http-backend inflates them when told.
        ...(req.headers["content-encoding"] ? { HTTP_CONTENT_ENCODING: req.headers["content-encoding"] } : {}),
        ...(req.headers["git-protocol"] ? { GIT_PROTOCOL: String(req.headers["git-protocol"]) } : {}),
        REMOTE_USER: "x-access-token",
        REMOTE_ADDR: "127.0.0.1",
      },
      stdio: ["pipe", "pipe", "pipe"],
    });
    req.pipe(cgi.stdin);
    cgi.stdin.on("error", () => {});
    const errors: Buffer[] = [];
    cgi.stderr.on("data", (c: Buffer) => errors.push(c));
    // CGI output: headers up to the first blank line, `Status: 404 Not Found` among them, then the body.
    let head = Buffer.alloc(0);
    let headersDone = false;
    cgi.stdout.on("data", (chunk: Buffer) => {
      if (headersDone) {
        res.write(chunk);
        return;
      }
      head = Buffer.concat([head, chunk]);
      const crlf = head.indexOf("\r\n\r\n");
      const lf = head.indexOf("\n\n");
      const end = crlf >= 0 && (lf < 0 || crlf < lf) ? crlf : lf;
      if (end < 0) return;
      const sep = end === crlf ? 4 : 2;
      headersDone = true;
      const headers: Record<string, string> = {};
      let status = 200;
      for (const line of head.subarray(0, end).toString("latin1").split(/\r?\n/)) {
        const i = line.indexOf(":");
        if (i < 0) continue;
        const key = line.slice(0, i).trim();
        const value = line.slice(i + 1).trim();
        if (key.toLowerCase() === "status") status = Number(value.split(" ")[0]) || 500;
        else headers[key] = value;
      }
      record.status = status;
      res.writeHead(status, headers);
      res.write(head.subarray(end + sep));
    });
    cgi.on("close", (code) => {
      if (!headersDone) {
        record.status = 500;
        res.writeHead(500, { "content-type": "text/plain" });
        res.end(`git http-backend failed (exit ${code}): ${Buffer.concat(errors).toString("utf8")}`);
        return;
      }
      res.end();
    });
  }
}
