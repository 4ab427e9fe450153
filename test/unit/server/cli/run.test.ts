import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import path from "node:path";
import type { CliCommand } from "../../../../server/src/cli/command.js";
import { UsageError } from "../../../../server/src/cli/command.js";
import { parseServeArgs } from "../../../../server/src/cli/commands/serve.js";
import { runCli } from "../../../../server/src/cli/run.js";
import { HOST_VERSION } from "../../../../server/src/version.js";
import { capturingIO } from "../../../support/cliInProcess.js";
import { REPO_ROOT } from "../../../support/paths.js";

const fakeIO = () => capturingIO();

const echo: CliCommand = {
  name: "echo",
  summary: "Print the arguments",
  usage: "bora echo [words...]",
  async run(args, io) {
    if (args[0] === "--bad") throw new UsageError("--bad is not allowed");
    if (args[0] === "--boom") throw new Error("it broke");
    io.stdout.write(args.join(" "));
    return 0;
  },
};

describe("bora CLI", () => {
  it("keeps HOST_VERSION equal to server/package.json", () => {
    const pkg = JSON.parse(readFileSync(path.join(REPO_ROOT, "server/package.json"), "utf8")) as { version: string };
    assert.equal(HOST_VERSION, pkg.version);
  });

  it("prints the version", async () => {
    const io = fakeIO();
    assert.equal(await runCli(["--version"], io, [echo]), 0);
    assert.equal(io.out(), `${HOST_VERSION}\n`);
  });

  it("lists the commands in --help, and exits 2 with help when given nothing", async () => {
    const io = fakeIO();
    assert.equal(await runCli(["--help"], io, [echo]), 0);
    assert.match(io.out(), /echo\s+Print the arguments/);
    assert.equal(await runCli([], fakeIO(), [echo]), 2);
  });

  it("prints one command's usage for `help <cmd>` and `<cmd> --help`", async () => {
    const a = fakeIO();
    await runCli(["help", "echo"], a, [echo]);
    assert.equal(a.out(), "bora echo [words...]\n");
    const b = fakeIO();
    await runCli(["echo", "--help"], b, [echo]);
    assert.equal(b.out(), "bora echo [words...]\n");
  });

  it("names an unknown command and exits 2", async () => {
    const io = fakeIO();
    assert.equal(await runCli(["frobnicate"], io, [echo]), 2);
    assert.match(io.err(), /unknown command 'frobnicate'/);
  });

  it("turns a usage error into exit 2 with a hint, and another error into exit 1, without a stack", async () => {
    const a = fakeIO();
    assert.equal(await runCli(["echo", "--bad"], a, [echo]), 2);
    assert.match(a.err(), /--bad is not allowed\nRun 'bora help echo' for usage/);
    const b = fakeIO();
    assert.equal(await runCli(["echo", "--boom"], b, [echo]), 1);
    assert.equal(b.err(), "bora echo: it broke\n");
  });
});

describe("bora serve arguments", () => {
  it("defaults to stdio and reads each transport flag", () => {
    assert.deepEqual(parseServeArgs([]).transport, { kind: "stdio" });
    assert.deepEqual(parseServeArgs(["--stdio"]).transport, { kind: "stdio" });
    assert.deepEqual(parseServeArgs(["--node-ipc", "--clientProcessId=42"]).transport, { kind: "node-ipc" });
    assert.deepEqual(parseServeArgs(["--socket=5007"]).transport, { kind: "socket", port: 5007 });
    assert.deepEqual(parseServeArgs(["--pipe=/tmp/x.sock"]).transport, { kind: "pipe", name: "/tmp/x.sock" });
  });
  it("refuses two transports, a bad port and a bad log level", () => {
    assert.throws(() => parseServeArgs(["--stdio", "--node-ipc"]), /choose one transport/);
    assert.throws(() => parseServeArgs(["--socket=http"]), /port number/);
    assert.throws(() => parseServeArgs(["--log-level", "loud"]), /--log-level must be one of/);
  });
  it("refuses unknown flags", () => {
    assert.throws(() => parseServeArgs(["--frob"]), /Unknown option '--frob'/);
  });
});
