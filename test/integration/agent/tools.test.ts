import assert from "node:assert/strict";
import { readlinkSync, realpathSync } from "node:fs";
import { mkdir, readFile, readdir, symlink, writeFile } from "node:fs/promises";
import path from "node:path";
import { createSearchTool } from "../../../server/src/agent/tools/searchTool.js";
import { createToolSet } from "../../../server/src/agent/tools/index.js";
import { askUserTool } from "../../../server/src/agent/tools/askUser.js";
import { editFileTool } from "../../../server/src/agent/tools/editFile.js";
import { listDirTool } from "../../../server/src/agent/tools/listDir.js";
import { readFileTool } from "../../../server/src/agent/tools/readFile.js";
import { runCommandTool } from "../../../server/src/agent/tools/runCommand.js";
import { ToolError, type ToolErrorCode } from "../../../server/src/agent/tools/types.js";
import { writeFileTool } from "../../../server/src/agent/tools/writeFile.js";
import { headlessQuestions, type UserQuestion } from "../../../server/src/agent/questions.js";
import { createCommandRunner } from "../../../server/src/workspace/sandbox.js";
import { fixtureRepo, tempDir, toolContext } from "./helpers.js";

async function fails(promise: Promise<unknown>, code: ToolErrorCode, message?: RegExp): Promise<void> {
  await assert.rejects(promise, (error: unknown) => {
    assert.ok(error instanceof ToolError, `expected a ToolError, got ${String(error)}`);
    assert.equal(error.code, code, error.message);
    if (message) assert.match(error.message, message);
    return true;
  });
}

describe("agent tools on a real repository", function () {
  this.timeout(30000);
  let repo: { dir: string; dispose(): Promise<void> };
  let outside: { dir: string; dispose(): Promise<void> };
  before(async () => {
    repo = await fixtureRepo();
    outside = await tempDir("bora-outside-");
    await writeFile(path.join(outside.dir, "secret.txt"), "outside secret\n");
    await symlink(outside.dir, path.join(repo.dir, "escape"));
    await symlink(path.join(outside.dir, "secret.txt"), path.join(repo.dir, "secret-link.txt"));
    await writeFile(
      path.join(repo.dir, "logo.png"),
      Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13]),
    );
    await writeFile(path.join(repo.dir, "latin1.txt"), Buffer.from([0x63, 0x61, 0x66, 0xe9, 0x0a]));
    await writeFile(path.join(repo.dir, "crlf.txt"), "one\r\ntwo\r\nthree\r\n");
  });
  after(async () => {
    await repo.dispose();
    await outside.dispose();
  });

  describe("read_file", () => {
    it("reads a whole file with a header naming the lines", async () => {
      const out = await readFileTool.run({ path: "src/cart.js" }, toolContext(repo.dir));
      assert.match(out, /^src\/cart\.js lines 1-13 of 13\n\/\*\* Prices in cents\. \*\//);
      assert.match(out, /return sum - discountPercent;/);
    });

    it("reads a line range, and says how to go on when the output is cut", async () => {
      const range = await readFileTool.run({ path: "src/cart.js", start_line: 7, end_line: 8 }, toolContext(repo.dir));
      assert.equal(
        range,
        "src/cart.js lines 7-8 of 13\nexport function cartTotal(items, discountPercent = 0) {\n  let sum = 0;",
      );
      const cut = await readFileTool.run(
        { path: "src/cart.js" },
        toolContext(repo.dir, { limits: { maxReadBytes: 60 } }),
      );
      assert.match(cut, /call read_file with start_line=\d+ to read on/);
    });

    it("summarizes binary files instead of returning bytes", async () => {
      const out = await readFileTool.run({ path: "logo.png" }, toolContext(repo.dir));
      assert.equal(out, "logo.png is a binary file (PNG image, 12 bytes); its bytes are not shown");
    });

    it("shows invalid UTF-8 with replacement characters and a warning", async () => {
      const out = await readFileTool.run({ path: "latin1.txt" }, toolContext(repo.dir));
      assert.match(out, /caf\uFFFD/);
      assert.match(out, /not valid UTF-8/);
    });

    it("streams ranges of a file larger than the load limit", async () => {
      const big = Array.from({ length: 5000 }, (_, i) => `row ${i + 1}`).join("\n");
      await writeFile(path.join(repo.dir, "big.txt"), big);
      const out = await readFileTool.run(
        { path: "big.txt", start_line: 4000, end_line: 4002 },
        toolContext(repo.dir, { limits: { maxFileBytes: 1000 } }),
      );
      assert.match(out, /^big\.txt lines 4000-4002 \(large file, \d+ bytes\)\nrow 4000\nrow 4001\nrow 4002$/);
      // The read stopped before the end of the file, and still let go of it.
      const file = realpathSync(path.join(repo.dir, "big.txt"));
      const open = (await readdir("/proc/self/fd")).filter((fd) => {
        try {
          return readlinkSync(path.join("/proc/self/fd", fd)) === file;
        } catch {
          return false; // Closed while we looked.
        }
      });
      assert.deepEqual(open, [], "no file descriptor left on big.txt");
    });

    it("refuses missing files, directories, bad ranges and escapes", async () => {
      const context = toolContext(repo.dir);
      await fails(readFileTool.run({ path: "nope.js" }, context), "not_found", /nope\.js does not exist/);
      await fails(readFileTool.run({ path: "src" }, context), "not_a_file", /use list_dir/);
      await fails(readFileTool.run({ path: "src/cart.js", start_line: 5, end_line: 2 }, context), "invalid_arguments");
      await fails(
        readFileTool.run({ path: "src/cart.js", start_line: 500 }, context),
        "invalid_arguments",
        /past the end/,
      );
      await fails(readFileTool.run({ path: "../../etc/passwd" }, context), "outside_root");
      await fails(readFileTool.run({ path: "/etc/passwd" }, context), "outside_root");
      await fails(readFileTool.run({ path: "escape/secret.txt" }, context), "outside_root", /symbolic link/);
      await fails(readFileTool.run({ path: "secret-link.txt" }, context), "outside_root", /symbolic link/);
    });
  });

  describe("list_dir", () => {
    it("lists directories first, files with sizes, links with targets, and hides .git", async () => {
      const out = await listDirTool.run({ path: "." }, toolContext(repo.dir));
      const lines = out.split("\n");
      assert.match(lines[0]!, /^\.\/ \(\d+ entries\)$/);
      assert.equal(lines[1], "src/");
      assert.ok(lines.includes("test/"));
      assert.ok(lines.some((l) => /^package\.json {2}\(\d+ bytes\)$/.test(l)));
      assert.ok(lines.some((l) => l.startsWith("escape -> ")));
      assert.ok(!lines.some((l) => l.startsWith(".git/")));
    });

    it("refuses files, missing directories and escapes", async () => {
      const context = toolContext(repo.dir);
      await fails(listDirTool.run({ path: "package.json" }, context), "not_a_directory");
      await fails(listDirTool.run({ path: "missing" }, context), "not_found");
      await fails(listDirTool.run({ path: "escape" }, context), "outside_root");
      await fails(listDirTool.run({ path: ".." }, context), "outside_root");
    });
  });

  describe("search", () => {
    before(async () => {
      await mkdir(path.join(repo.dir, "node_modules/dep"), { recursive: true });
      await writeFile(path.join(repo.dir, "node_modules/dep/index.js"), "export const discountPercent = 1;\n");
      await writeFile(path.join(repo.dir, "debug.log"), "discountPercent in a log\n");
      await writeFile(path.join(repo.dir, "untracked.js"), "// discountPercent, not committed yet\n");
    });

    for (const backend of ["ripgrep", "git-grep", "js"] as const) {
      it(`finds matches with ${backend}, skipping ignored and binary files`, async () => {
        const tool = createSearchTool(backend);
        const out = await tool.run({ pattern: "discountPercent" }, toolContext(repo.dir));
        const files = new Set(
          out
            .split("\n")
            .slice(1)
            .map((l) => l.split(":")[0]),
        );
        assert.deepEqual([...files].sort(), ["src/cart.js", "untracked.js"]);
        assert.match(out, /src\/cart\.js:7: export function cartTotal\(items, discountPercent = 0\) \{/);
      });

      it(`narrows by path and glob with ${backend}`, async () => {
        const tool = createSearchTool(backend);
        const inTests = await tool.run({ pattern: "cartTotal", path: "test" }, toolContext(repo.dir));
        assert.ok(
          inTests
            .split("\n")
            .slice(1)
            .every((l) => l.startsWith("test/cart.test.js:")),
          inTests,
        );
        const byGlob = await tool.run({ pattern: "cartTotal", glob: "*.test.js" }, toolContext(repo.dir));
        assert.ok(
          byGlob
            .split("\n")
            .slice(1)
            .every((l) => l.startsWith("test/cart.test.js:")),
          byGlob,
        );
        assert.equal(await tool.run({ pattern: "no-such-text-anywhere" }, toolContext(repo.dir)), "no matches");
      });

      it(`reports a bad pattern and caps the matches with ${backend}`, async () => {
        const tool = createSearchTool(backend);
        await fails(tool.run({ pattern: "(unclosed" }, toolContext(repo.dir)), "bad_pattern");
        const capped = await tool.run({ pattern: "e" }, toolContext(repo.dir, { limits: { maxSearchMatches: 3 } }));
        assert.match(capped, /^3 matches\n/);
        assert.match(capped, /more than 3 matches/);
      });
    }

    it("refuses a search path outside the root", async () => {
      await fails(createSearchTool().run({ pattern: "x", path: "escape" }, toolContext(repo.dir)), "outside_root");
    });
  });

  describe("write_file", () => {
    it("creates files with their parents and replaces existing ones, taking a checkpoint first", async () => {
      const context = toolContext(repo.dir);
      assert.match(
        await writeFileTool.run({ path: "docs/new/notes.md", content: "# Notes\n" }, context),
        /^created docs\/new\/notes\.md/,
      );
      assert.match(
        await writeFileTool.run({ path: "docs/new/notes.md", content: "# Notes v2\n" }, context),
        /^replaced/,
      );
      assert.equal(await readFile(path.join(repo.dir, "docs/new/notes.md"), "utf8"), "# Notes v2\n");
      assert.deepEqual(context.writes, ["docs/new/notes.md", "docs/new/notes.md"]);
      assert.equal(context.checkpoints, 2);
    });

    it("refuses escapes, directories, .git and oversized content, writing nothing", async () => {
      const context = toolContext(repo.dir, { limits: { maxWriteBytes: 10 } });
      await fails(writeFileTool.run({ path: "../evil.txt", content: "x" }, context), "outside_root");
      await fails(writeFileTool.run({ path: "escape/evil.txt", content: "x" }, context), "outside_root");
      await fails(writeFileTool.run({ path: "src", content: "x" }, context), "not_a_file");
      await fails(writeFileTool.run({ path: ".git/config", content: "x" }, context), "invalid_path");
      await fails(writeFileTool.run({ path: "big.txt", content: "x".repeat(11) }, context), "too_large");
      assert.deepEqual(await readdir(outside.dir), ["secret.txt"]);
      assert.equal(context.checkpoints, 0);
    });
  });

  describe("edit_file", () => {
    it("applies the blocks that match and reports each one", async () => {
      const context = toolContext(repo.dir);
      const out = await editFileTool.run(
        {
          path: "src/cart.js",
          edits: [
            { old: "return sum - discountPercent;", new: "return Math.round(sum * (1 - discountPercent / 100));" },
            { old: "no such text", new: "x" },
            { old: "  let sum = 0;", new: "  let sum = 0; // cents" },
          ],
        },
        context,
      );
      assert.match(out, /^src\/cart\.js: 2 of 3 block\(s\) applied/);
      assert.match(out, /block 2: NOT applied \(no_match\)/);
      const text = await readFile(path.join(repo.dir, "src/cart.js"), "utf8");
      assert.match(text, /Math\.round\(sum \* \(1 - discountPercent \/ 100\)\)/);
      assert.match(text, /let sum = 0; \/\/ cents/);
      assert.deepEqual(context.writes, ["src/cart.js"]);
    });

    it("keeps CRLF files CRLF", async () => {
      await editFileTool.run({ path: "crlf.txt", edits: [{ old: "two\nthree", new: "2\n3" }] }, toolContext(repo.dir));
      assert.equal(await readFile(path.join(repo.dir, "crlf.txt"), "utf8"), "one\r\n2\r\n3\r\n");
    });

    it("leaves the file untouched when no block applies, and says why for each", async () => {
      const before = await readFile(path.join(repo.dir, "src/cart.js"), "utf8");
      const context = toolContext(repo.dir);
      await fails(
        editFileTool.run({ path: "src/cart.js", edits: [{ old: "item", new: "thing" }] }, context),
        "no_edits_applied",
        /block 1: NOT applied \(ambiguous\): `old` matches \d+ places/,
      );
      assert.equal(await readFile(path.join(repo.dir, "src/cart.js"), "utf8"), before);
      assert.equal(context.checkpoints, 0);
    });

    it("refuses binary, invalid UTF-8, missing and outside files", async () => {
      const context = toolContext(repo.dir);
      const edits = [{ old: "a", new: "b" }];
      await fails(editFileTool.run({ path: "logo.png", edits }, context), "binary_file");
      await fails(editFileTool.run({ path: "latin1.txt", edits }, context), "invalid_utf8");
      await fails(editFileTool.run({ path: "missing.js", edits }, context), "not_found");
      await fails(editFileTool.run({ path: "escape/secret.txt", edits }, context), "outside_root");
      assert.deepEqual(await readFile(path.join(repo.dir, "latin1.txt")), Buffer.from([0x63, 0x61, 0x66, 0xe9, 0x0a]));
      assert.equal(await readFile(path.join(outside.dir, "secret.txt"), "utf8"), "outside secret\n");
    });
  });

  describe("run_command", () => {
    it("runs in the sandbox at the root and reports the exit code and output", async () => {
      // A fresh copy: the edit_file tests above fixed the bug in this one.
      const fresh = await fixtureRepo();
      try {
        const context = toolContext(fresh.dir);
        const out = await runCommandTool.run({ command: "npm test" }, context);
        assert.match(out, /^exit code 1\n\$ npm test\n/);
        assert.match(out, /the discount is a percentage of the sum/);
        assert.equal(context.commandsRun[0]?.exitCode, 1);
        assert.equal(context.checkpoints, 1);
      } finally {
        await fresh.dispose();
      }
    });

    it("kills a command at its time limit", async () => {
      const out = await runCommandTool.run({ command: "sleep 30", timeout_s: 1 }, toolContext(repo.dir));
      assert.match(out, /^killed after 1 s \(time limit\)/);
    });

    it("refuses with the install hint when bubblewrap is missing and unsandboxed runs are not allowed", async () => {
      const context = toolContext(repo.dir);
      context.commands = () =>
        createCommandRunner({ root: repo.dir, bwrapPath: "/nonexistent/bwrap", spawner: context.spawner });
      await fails(
        runCommandTool.run({ command: "true" }, context),
        "sandbox_unavailable",
        /apt-get install bubblewrap/,
      );
    });
  });

  describe("ask_user", () => {
    it("returns the user's answer", async () => {
      const questions = {
        ...headlessQuestions,
        askUser: (_runId: string, { question, options }: UserQuestion) =>
          Promise.resolve(`${question} -> ${options?.[1]}`),
      };
      const out = await askUserTool.run(
        { question: "Which?", options: ["a", "b"] },
        toolContext(repo.dir, { questions }),
      );
      assert.equal(out, "the user answered: Which? -> b");
    });

    it("says nobody can answer in a headless run", async () => {
      await fails(askUserTool.run({ question: "Which?" }, toolContext(repo.dir)), "no_answer", /best judgement/);
    });
  });

  describe("argument schemas", () => {
    it("names what is wrong with a call", () => {
      const tools = createToolSet();
      assert.equal(tools.validate("read_file", { path: "a" }), undefined);
      assert.match(tools.validate("read_file", {}) ?? "", /must have required property 'path'/);
      assert.match(tools.validate("read_file", { path: "a", start_line: 0 }) ?? "", /start_line must be >= 1/);
      assert.match(
        tools.validate("edit_file", { path: "a", edits: [{ old: "x" }] }) ?? "",
        /edits\/0 must have required property 'new'/,
      );
      assert.match(
        tools.validate("write_file", { path: "a", content: "x", mode: 7 }) ?? "",
        /additional properties \('mode'\)/,
      );
      assert.match(tools.validate("rm_rf", {}) ?? "", /no tool named 'rm_rf'/);
      assert.deepEqual(
        tools.definitions.map((d) => d.name),
        ["read_file", "list_dir", "search", "edit_file", "write_file", "run_command", "ask_user"],
      );
    });
  });
});
