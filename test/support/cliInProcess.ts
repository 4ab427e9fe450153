/** Runs `bora` commands in this process with captured output, for tests that need no child process. */
import { PassThrough } from "node:stream";
import type { CliCommand, CliIO, CommandOutcome } from "../../server/src/cli/command.js";
import { COMMANDS } from "../../server/src/cli/commands.js";
import { runCli } from "../../server/src/cli/run.js";

/** A `CliIO` whose streams collect what was written. */
export function capturingIO(options: { env?: NodeJS.ProcessEnv; cwd?: string } = {}): CliIO & {
  out(): string;
  err(): string;
} {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = "";
  let err = "";
  stdout.on("data", (d: Buffer) => (out += d.toString()));
  stderr.on("data", (d: Buffer) => (err += d.toString()));
  return { stdout, stderr, env: options.env ?? {}, cwd: options.cwd ?? "/", out: () => out, err: () => err };
}

export interface InProcessResult {
  code: CommandOutcome;
  stdout: string;
  stderr: string;
}

export async function runCliInProcess(
  argv: string[],
  options: { env?: NodeJS.ProcessEnv; cwd?: string; commands?: readonly CliCommand[] } = {},
): Promise<InProcessResult> {
  const io = capturingIO(options);
  const code = await runCli(argv, io, options.commands ?? COMMANDS);
  return { code, stdout: io.out(), stderr: io.err() };
}
