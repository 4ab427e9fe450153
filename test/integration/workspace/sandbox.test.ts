import assert from "node:assert/strict";
import { createServer, type Server } from "node:http";
import { mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import type { AddressInfo } from "node:net";
import os from "node:os";
import path from "node:path";
import { createPidsLimit } from "../../../server/src/workspace/processLimits.js";
import { Spawner } from "../../../server/src/workspace/spawner.js";
import {
  createCommandRunner,
  SandboxUnavailableError,
  type CommandRunner,
} from "../../../server/src/workspace/sandbox.js";
import { waitFor } from "../../support/hostProcess.js";
import { tempDir } from "../agent/helpers.js";

/**
 * Pids of live `sh -c '...marker'` processes: what a test's command left running (bwrap's own
 * command line also holds the marker, so only the inner shells count).
 */
async function processesWith(marker: string): Promise<number[]> {
  const found: number[] = [];
  for (const entry of await readdir("/proc")) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    const cmdline = await readFile(`/proc/${entry}/cmdline`, "utf8").catch(() => "");
    if (cmdline.startsWith("sh\0-c\0") && cmdline.includes(marker)) found.push(Number(entry));
  }
  return found;
}

describe("sandboxed commands (bubblewrap)", function () {
  this.timeout(60000);
  let root: { dir: string; dispose(): Promise<void> };
  let outside: { dir: string; dispose(): Promise<void> };
  let runner: CommandRunner;
  let server: Server;
  let port: number;
  let connections = 0;
  const SECRET = "ghp_sandboxTestSecretValue0123456789";
  const spawner = new Spawner();

  before(async () => {
    root = await tempDir("bora-sandbox-root-");
    outside = await tempDir("bora-sandbox-outside-");
    server = createServer((_req, res) => res.end("reached the host"));
    server.on("connection", () => connections++);
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    port = (server.address() as AddressInfo).port;
    runner = await createCommandRunner({
      root: root.dir,
      spawner,
      hostEnv: { ...process.env, GITHUB_TOKEN: SECRET, BORA_TEST_SECRET: SECRET },
      maxProcesses: 64,
    });
    assert.equal(runner.kind, "bubblewrap");
  });
  after(async () => {
    await spawner.close();
    server.close();
    await root.dispose();
    await outside.dispose();
  });

  it("runs at the root, which is writable", async () => {
    const result = await runner.run({ command: "pwd && echo made > made.txt && cat made.txt", timeoutMs: 10000 });
    assert.equal(result.exitCode, 0, result.output);
    assert.equal(result.output, `${root.dir}\nmade\n`);
    assert.equal(await readFile(path.join(root.dir, "made.txt"), "utf8"), "made\n");
  });

  it("cannot write outside the root", async () => {
    // /var/tmp is visible in the sandbox (read-only); /tmp is a private, empty tmpfs there.
    const visible = await mkdtemp("/var/tmp/bora-sandbox-outside-");
    try {
      const result = await runner.run({
        command: `echo x > ${visible}/pwned.txt; echo "rc=$?"; echo x > ${outside.dir}/pwned.txt; echo "rc=$?"; touch /usr/pwned; echo "rc=$?"`,
        timeoutMs: 10000,
      });
      assert.match(result.output, new RegExp(`${visible}/pwned.txt: Read-only file system`));
      assert.match(result.output, /usr\/pwned.*Read-only file system/);
      assert.equal(result.output.match(/rc=[1-9]/g)?.length, 3, result.output);
      assert.deepEqual(await readdir(visible), []);
      assert.deepEqual(await readdir(outside.dir), []);
    } finally {
      await rm(visible, { recursive: true, force: true });
    }
  });

  it("has a private /tmp and an empty HOME instead of the user's", async () => {
    const hostTmpFile = path.join(os.tmpdir(), `bora-host-only-${process.pid}`);
    await writeFile(hostTmpFile, "host");
    try {
      const result = await runner.run({
        command: `ls -A "$HOME" | wc -l; echo "home=$HOME"; test -e ${hostTmpFile} && echo visible || echo hidden; ls -A ${os.homedir()}`,
        timeoutMs: 10000,
      });
      const [count, home, tmp, ...userHome] = result.output.trim().split("\n");
      assert.deepEqual([count, home, tmp], ["0", "home=/tmp/home", "hidden"]);
      // Of the user's home only the folders of PATH entries (toolchains such as ~/.cargo/bin) are there, read-only.
      const pathDirs = (process.env["PATH"] ?? "").split(":");
      for (const entry of userHome.filter((e) => e !== "")) {
        const full = path.join(os.homedir(), entry);
        assert.ok(
          pathDirs.some((p) => p === full || p.startsWith(`${full}/`)),
          `${full} is visible in the sandbox`,
        );
      }
    } finally {
      await rm(hostTmpFile, { force: true });
    }
  });

  it("does not pass host secrets, neither in its environment nor through /proc/*/environ", async () => {
    assert.equal(process.env["BORA_TEST_SECRET"], undefined, "the test host must not have it either");
    process.env["BORA_TEST_SECRET"] = SECRET;
    try {
      const result = await runner.run({
        command:
          "env; for f in /proc/[0-9]*/environ; do tr '\\0' '\\n' < $f; done 2>/dev/null; ls /proc | grep -c '^[0-9]'",
        timeoutMs: 10000,
      });
      assert.equal(result.exitCode, 0);
      assert.doesNotMatch(result.output, /ghp_sandboxTestSecretValue/);
      assert.doesNotMatch(result.output, /GITHUB_TOKEN|BORA_TEST_SECRET/);
      assert.match(result.output, /^PATH=/m);
      // Only the sandbox's own few processes are visible: a new PID namespace.
      const visible = Number(result.output.trim().split("\n").pop());
      assert.ok(visible > 0 && visible < 10, `saw ${visible} processes`);
    } finally {
      delete process.env["BORA_TEST_SECRET"];
    }
  });

  it("cannot reach a server on the host's loopback, unless the network is allowed", async () => {
    const probe = `exec 3<>/dev/tcp/127.0.0.1/${port} && printf 'GET / HTTP/1.0\\r\\n\\r\\n' >&3 && cat <&3`;
    const before = connections;
    const blocked = await runner.run({ command: `bash -c "${probe}"; echo "rc=$?"`, timeoutMs: 10000 });
    assert.doesNotMatch(blocked.output, /reached the host/);
    assert.match(blocked.output, /rc=1/);
    assert.equal(connections, before, "the server saw a connection from the sandbox");
    // The same probe with the network allowed does reach it, so the check above tests the sandbox, not the probe.
    const open = await createCommandRunner({ root: root.dir, spawner, allowNetwork: true });
    const allowed = await open.run({ command: `bash -c "${probe}"`, timeoutMs: 10000 });
    assert.match(allowed.output, /reached the host/);
    assert.equal(connections, before + 1);
  });

  it("stops an endless loop at the time limit and kills the whole process tree", async () => {
    const marker = `bora-orphan-${process.pid}-${Date.now()}`;
    const started = performance.now();
    // Two children that try to outlive the command: one in the background, one in its own session.
    const running = runner.run({
      command: `sh -c 'sleep 300; : ${marker}' & setsid sh -c 'sleep 300; : ${marker}' & while :; do :; done`,
      timeoutMs: 1500,
    });
    // Both children run before the time limit ends the command (else this test would prove nothing).
    await waitFor("the command's two children", async () => (await processesWith(marker)).length === 2, 1500, {
      seen: async () => `${(await processesWith(marker)).length} running`,
    });
    const result = await running;
    assert.equal(result.timedOut, true);
    assert.equal(result.exitCode, null);
    assert.ok(performance.now() - started < 10000);
    // They were killed, not left to their 300 s: gone within moments (the kernel reaps them).
    await waitFor("the command's children to be gone", async () => (await processesWith(marker)).length === 0, 5000, {
      seen: async () => `still running: ${(await processesWith(marker)).join(", ")}`,
    });
  });

  it("caps output, keeping its head and tail", async () => {
    const capped = await createCommandRunner({ root: root.dir, spawner, maxOutputBytes: 1000 });
    const result = await capped.run({ command: "echo FIRST; seq 1 100000; echo LAST", timeoutMs: 20000 });
    assert.equal(result.exitCode, 0);
    assert.equal(result.truncated, true);
    assert.ok(result.outputBytes > 500000);
    assert.ok(result.output.startsWith("FIRST\n1\n2\n"));
    assert.ok(result.output.endsWith("100000\nLAST\n"));
    assert.ok(result.output.length < 1200);
  });

  it("holds a fork bomb to the process limit and ends it at the time limit", async function () {
    // Only run a real fork bomb where the kernel enforces a process limit for us; otherwise it would hurt the machine.
    const probe = await createPidsLimit(8);
    if (probe === undefined) this.skip();
    await probe.dispose();
    const marker = `bora-bomb-${process.pid}-${Date.now()}`;
    const result = await runner.run({
      command: `sh -c 'bomb() { bomb | bomb & }; bomb; sleep 5; : ${marker}'`,
      timeoutMs: 2000,
    });
    assert.match(result.output, /Cannot fork|Resource temporarily unavailable/);
    await waitFor(
      "the fork bomb's processes to be gone",
      async () => (await processesWith(marker)).length === 0,
      5000,
      {
        seen: async () => `still running: ${(await processesWith(marker)).join(", ")}`,
      },
    );
    // The limit was hit: a bounded spawner fails to fork instead of running 500 processes.
    const bounded = await runner.run({
      command: "for i in $(seq 500); do sleep 30 & done; echo all-started",
      timeoutMs: 5000,
    });
    assert.match(bounded.output, /Cannot fork|Resource temporarily unavailable/);
    assert.doesNotMatch(bounded.output, /all-started/);
  });

  it("refuses without bubblewrap unless unsandboxed commands are explicitly allowed", async () => {
    await assert.rejects(
      createCommandRunner({ root: root.dir, spawner, bwrapPath: "/nonexistent/bwrap" }),
      (error: unknown) =>
        error instanceof SandboxUnavailableError &&
        /not installed[\s\S]*apt-get install bubblewrap/.test(error.message),
    );
    const unsandboxed = await createCommandRunner({
      root: root.dir,
      spawner,
      bwrapPath: "/nonexistent/bwrap",
      allowUnsandboxed: true,
      hostEnv: { PATH: "/usr/bin:/bin", GITHUB_TOKEN: SECRET },
    });
    assert.equal(unsandboxed.kind, "unsandboxed");
    const result = await unsandboxed.run({ command: "pwd; env", timeoutMs: 5000 });
    assert.ok(result.output.startsWith(`${root.dir}\n`));
    // Even without a sandbox, the environment comes from the allow-list.
    assert.doesNotMatch(result.output, /ghp_sandbox/);
  });
});
