/** The shape of one `bora` subcommand. Each lives in `cli/commands/` and is listed in `cli/commands.ts`. */

export interface CliIO {
  /** Results a script may parse (tables, JSON). */
  stdout: NodeJS.WritableStream;
  /** Progress, warnings, errors. */
  stderr: NodeJS.WritableStream;
  env: NodeJS.ProcessEnv;
  cwd: string;
}

/** An exit code, or `running` for commands that keep the process alive (servers). */
export type CommandOutcome = number | "running";

export interface CliCommand {
  name: string;
  /** One line for `bora --help`. */
  summary: string;
  /** Full help for `bora help <name>` and `bora <name> --help`. */
  usage: string;
  run(args: string[], io: CliIO): Promise<CommandOutcome>;
}

/** A user mistake on the command line: printed with the usage hint and exit code 2, no stack. */
export class UsageError extends Error {
  override readonly name = "UsageError";
}
