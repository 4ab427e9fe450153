/** `bora` argument handling: global flags, help, and dispatch to the command table. */
import { HOST_VERSION } from "../version.js";
import { UsageError, type CliCommand, type CliIO, type CommandOutcome } from "./command.js";
import { COMMANDS } from "./commands.js";

function mainHelp(commands: readonly CliCommand[]): string {
  const width = Math.max(...commands.map((c) => c.name.length));
  return `Bora ${HOST_VERSION}: a self-hosted AI coding agent.

Usage: bora <command> [options]

Commands:
${commands.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`).join("\n")}

Options:
  --version  Print the version
  --help     Print this help; 'bora help <command>' for one command
`;
}

export async function runCli(
  argv: string[],
  io: CliIO,
  commands: readonly CliCommand[] = COMMANDS,
): Promise<CommandOutcome> {
  const [first, ...rest] = argv;
  if (first === "--version" || first === "-v") {
    io.stdout.write(`${HOST_VERSION}\n`);
    return 0;
  }
  if (first === undefined || first === "--help" || first === "-h") {
    io.stdout.write(mainHelp(commands));
    return first === undefined ? 2 : 0;
  }
  const byName = (name: string | undefined): CliCommand | undefined => commands.find((c) => c.name === name);
  if (first === "help") {
    const command = byName(rest[0]);
    if (rest[0] !== undefined && command === undefined) {
      io.stderr.write(`bora: unknown command '${rest[0]}'. Run 'bora --help' for the list.\n`);
      return 2;
    }
    io.stdout.write(command ? `${command.usage}\n` : mainHelp(commands));
    return 0;
  }
  const command = byName(first);
  if (command === undefined) {
    io.stderr.write(`bora: unknown command '${first}'. Run 'bora --help' for the list.\n`);
    return 2;
  }
  if (rest.includes("--help") || rest.includes("-h")) {
    io.stdout.write(`${command.usage}\n`);
    return 0;
  }
  try {
    return await command.run(rest, io);
  } catch (error) {
    if (error instanceof UsageError || (error as { code?: string }).code?.startsWith("ERR_PARSE_ARGS")) {
      io.stderr.write(
        `bora ${command.name}: ${(error as Error).message}\nRun 'bora help ${command.name}' for usage.\n`,
      );
      return 2;
    }
    io.stderr.write(`bora ${command.name}: ${error instanceof Error ? error.message : String(error)}\n`);
    return 1;
  }
}
