/**
 * `bora run` owns the children of its run: SIGINT or SIGTERM in the middle of a long command ends
 * the run with its summary (exit 1, "aborted") and leaves no process behind, with bubblewrap and
 * without it (where nothing but the CLI itself can end the command's process group).
 */
import assert from "node:assert/strict";
import { mkdir, symlink, writeFile } from "node:fs/promises";
import path from "node:path";
import { exitOf, spawnCli, waitFor } from "../../support/hostProcess.js";
import { descendants, leftBehind, processes } from "../../support/processTree.js";
import { fixtureRepo, tempDir } from "./helpers.js";

/** A folder with only the programs an unsandboxed run needs, so that `bwrap` is not found on PATH. */
async function pathWithoutBwrap(dir: string): Promise<string> {
  const bin = path.join(dir, "bin");
  await mkdir(bin);
  for (const program of ["git", "sleep"]) await symlink(`/usr/bin/${program}`, path.join(bin, program));
  return bin;
}

describe("bora run stops every child process on SIGINT and SIGTERM (the built CLI)", function () {
  this.timeout(120000);
  let repo: { dir: string; dispose(): Promise<void> };
  let state: { dir: string; dispose(): Promise<void> };
  beforeEach(async () => {
    repo = await fixtureRepo();
    state = await tempDir("bora-cli-signal-state-");
  });
  afterEach(async () => {
    await repo.dispose();
    await state.dispose();
  });

  for (const sandbox of ["bubblewrap", "unsandboxed"] as const) {
    for (const signal of ["SIGINT", "SIGTERM"] as const) {
      it(`${signal} during a long command (${sandbox})`, async () => {
        const marker = `sleep ${signal === "SIGINT" ? 3004 : 3005}`;
        const script = path.join(state.dir, "long.json");
        await writeFile(
          script,
          JSON.stringify({
            turns: [
              // A shell with a grandchild in the background, as a dev server or a watcher would leave.
              { tool_calls: [{ name: "run_command", arguments: { command: `${marker} & wait`, timeout_s: 600 } }] },
              { content: "The command finished." },
            ],
          }),
        );
        const env: NodeJS.ProcessEnv = { BORA_STATE_DIR: state.dir };
        const args = ["run", "--cwd", repo.dir, "--engine", `script:${script}`, "--yes", "--json"];
        if (sandbox === "unsandboxed") {
          env["PATH"] = await pathWithoutBwrap(state.dir);
          args.push("--allow-unsandboxed");
        }
        const cli = spawnCli([...args, "Run the long command"], { env });
        cli.stdin.end();
        let stdout = "";
        let stderr = "";
        cli.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
        cli.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
        const exited = exitOf(cli);

        // The run's children are in process groups of their own; the CLI's own helpers (tsx's
        // esbuild) share its group and are not the run's.
        const ownGroup = processes().find((p) => p.pid === cli.pid)?.pgid;
        const tracked = await waitFor(
          `the command's grandchild (${marker}) to run; stderr so far:\n${stderr}`,
          () => {
            const below = descendants(cli.pid!).filter((p) => p.pgid !== ownGroup);
            return below.some((p) => p.cmdline === marker) && below;
          },
          60000,
        );
        assert.equal(
          tracked.some((p) => p.cmdline.startsWith("/usr/bin/bwrap ")),
          sandbox === "bubblewrap",
          tracked.map((p) => p.cmdline).join("\n"),
        );
        cli.kill(signal);
        const { code } = await exited;
        assert.equal(code, 1, stderr);
        const result = JSON.parse(stdout) as { status: string; commands: { exitCode: number | null }[] };
        assert.equal(result.status, "aborted");
        assert.deepEqual(
          result.commands.map((c) => c.exitCode),
          [null],
        );
        let left: string[] = [];
        await waitFor("every process of the run to end", () => (left = leftBehind(tracked)).length === 0).catch(() =>
          assert.fail(`still running after bora run ended:\n${left.join("\n")}`),
        );
      });
    }
  }
});
