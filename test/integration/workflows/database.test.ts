import assert from "node:assert/strict";
import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { createLogger } from "../../../server/src/host/logger.js";
import { openWorkflowDatabase, type WorkflowDatabase } from "../../../server/src/workflows/database.js";
import { parsePostmasterPid } from "../../../server/src/workflows/postgresPolicy.js";
import { Spawner } from "../../../server/src/workspace/spawner.js";
import { GUARDED_NODE_ARGS, waitFor } from "../../support/hostProcess.js";
import { descendants, leftBehind, processes, type ProcessInfo } from "../../support/processTree.js";

const HOLD_DATABASE = path.join(import.meta.dirname, "support", "holdDatabase.ts");
/** Quiet: the orphan test's expected warning is not news. */
const log = createLogger("warn", { write: () => undefined });

function postmasterPid(stateDir: string): number | undefined {
  const file = path.join(stateDir, "postgres", "postmaster.pid");
  return existsSync(file) ? parsePostmasterPid(readFileSync(file, "utf8"))?.pid : undefined;
}

/** The PostgreSQL processes running on `stateDir`'s data directory: the postmaster and its children. */
function serverProcesses(stateDir: string): ProcessInfo[] {
  const pid = postmasterPid(stateDir);
  if (pid === undefined) return [];
  const all = processes();
  const postmaster = all.find((p) => p.pid === pid);
  return postmaster ? [postmaster, ...descendants(pid, all)] : [];
}

/** The account the server runs as (`postgres` when the tests run as root), as spawn options. */
function serverAccount(): { uid?: number; gid?: number } {
  if (process.getuid?.() !== 0) return {};
  const id = (flag: string): number => Number(execFileSync("id", [flag, "postgres"], { encoding: "utf8" }).trim());
  return { uid: id("-u"), gid: id("-g") };
}

function running(pid: number): boolean {
  return processes().some((p) => p.pid === pid);
}

describe("the workflow database", function () {
  this.timeout(60_000);
  let stateDir: string;
  let spawner: Spawner;
  const opened: WorkflowDatabase[] = [];
  const children: ChildProcess[] = [];

  beforeEach(() => {
    stateDir = mkdtempSync(path.join(os.tmpdir(), "bora-wfdb-"));
    spawner = new Spawner();
  });

  afterEach(async () => {
    for (const child of children.splice(0))
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
    for (const database of opened.splice(0)) await database.close();
    await spawner.close();
    // A server a failed test left behind (an orphan of a killed child) must not outlive the test.
    const left = postmasterPid(stateDir);
    if (left !== undefined && running(left)) process.kill(-left, "SIGKILL");
    rmSync(stateDir, { recursive: true, force: true });
  });

  async function open(): Promise<WorkflowDatabase> {
    const database = await openWorkflowDatabase({ stateDir, spawner, log });
    opened.push(database);
    return database;
  }

  it("creates the cluster on the first start, reuses it on the next, and close() leaves no process", async () => {
    const cold = await open();
    assert.equal(cold.embedded, true);
    assert.match(cold.url, /^postgresql:\/\/bora:[^@]+@127\.0\.0\.1:\d+\/bora$/);
    assert.ok(existsSync(path.join(stateDir, "postgres", "PG_VERSION")), "initdb made the cluster");
    const firstServer = serverProcesses(stateDir);
    assert.ok(firstServer.length > 0, "the server runs");
    assert.ok(
      firstServer.every((p) => descendants(process.pid).some((d) => d.pid === p.pid)),
      "the server is this process's child (started through the spawner)",
    );
    await cold.close();
    assert.deepEqual(leftBehind(firstServer), [], "close() stopped the server and its children");

    const lines: string[] = [];
    const warm = await openWorkflowDatabase({
      stateDir,
      spawner,
      log: createLogger("info", { write: (_level, line) => lines.push(line) }),
    });
    opened.push(warm);
    assert.deepEqual(
      lines.filter((line) => /creating the embedded PostgreSQL cluster/.test(line)),
      [],
      "no initdb on the warm start",
    );
    assert.equal(warm.url.split("@")[0], cold.url.split("@")[0], "same role and password: the cluster was kept");
    const secondServer = serverProcesses(stateDir);
    assert.ok(secondServer.length > 0);
    await warm.close();
    await warm.close();
    assert.deepEqual(leftBehind(secondServer), []);
  });

  it("stops the server a killed host left running, then starts its own; nothing is left after close()", async () => {
    const child = spawn(process.execPath, [...GUARDED_NODE_ARGS, HOLD_DATABASE, stateDir], {
      stdio: ["ignore", "pipe", "pipe"],
    });
    children.push(child);
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    await waitFor("the child to open the database", () => stdout.includes('"opened":true'), 30_000, {
      seen: () => stderr,
    });
    const orphanPid = postmasterPid(stateDir);
    assert.ok(orphanPid !== undefined);
    const orphan = serverProcesses(stateDir);
    const exited = new Promise((resolve) => child.once("exit", resolve));
    child.kill("SIGKILL");
    await exited;
    assert.ok(running(orphanPid), "a SIGKILL of the host leaves its PostgreSQL running");

    const database = await open();
    const ownPid = postmasterPid(stateDir);
    assert.ok(ownPid !== undefined && ownPid !== orphanPid, "a server of our own runs on the data directory");
    assert.deepEqual(leftBehind(orphan), [], "the orphan and its backends are gone");
    const own = serverProcesses(stateDir);
    await database.close();
    assert.deepEqual(leftBehind(own), []);
  });

  it("starts over a stale postmaster.pid, of a dead process or of a live one that is not PostgreSQL", async () => {
    await (await open()).close();
    const pidFile = path.join(stateDir, "postgres", "postmaster.pid");
    const dataDir = path.join(stateDir, "postgres");
    const staleText = (pid: number): string =>
      [pid, dataDir, Math.floor(Date.now() / 1000), 5432, dataDir, "127.0.0.1", "  1234   5678", "ready", ""].join(
        "\n",
      );

    const gone = spawn("true");
    await new Promise((resolve) => gone.once("exit", resolve));
    writeFileSync(pidFile, staleText(gone.pid!));
    const afterDead = await open();
    assert.notEqual(postmasterPid(stateDir), gone.pid);
    await afterDead.close();

    // A pid that now belongs to another program of the server's account: PostgreSQL itself would
    // refuse to start over it ("lock file already exists").
    const other = spawn("sleep", ["60"], serverAccount());
    children.push(other);
    writeFileSync(pidFile, staleText(other.pid!));
    const afterReused = await open();
    assert.ok(running(other.pid!), "the unrelated process was not signalled");
    assert.notEqual(postmasterPid(stateDir), other.pid);
    await afterReused.close();
  });

  it("with a URL starts nothing: it checks the server answers, and names the URL without its password", async () => {
    const server = net.createServer((socket) => socket.destroy());
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const port = (server.address() as net.AddressInfo).port;
    try {
      const url = `postgresql://team:s3cret-pw@127.0.0.1:${port}/bora`;
      const database = await openWorkflowDatabase({ stateDir, databaseUrl: url, spawner, log });
      assert.equal(database.embedded, false);
      assert.equal(database.url, url);
      assert.equal(spawner.size, 0, "no process was started");
      assert.equal(existsSync(path.join(stateDir, "postgres")), false, "no data directory was made");
      await database.close();
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
    // Now nothing listens on that port.
    await assert.rejects(
      openWorkflowDatabase({
        stateDir,
        databaseUrl: `postgresql://team:s3cret-pw@127.0.0.1:${port}/bora`,
        spawner,
        log,
      }),
      (error: Error) => {
        assert.match(
          error.message,
          new RegExp(`cannot reach the workflow database at postgresql://team:\\*\\*\\*@127\\.0\\.0\\.1:${port}/bora`),
        );
        assert.doesNotMatch(error.message, /s3cret/);
        return true;
      },
    );
  });
});
