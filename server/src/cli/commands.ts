/** The table of `bora` subcommands. A new command is a module in `commands/` and one line here. */
import type { CliCommand } from "./command.js";
import { engineCommand } from "./commands/engine.js";
import { issueCommand } from "./commands/issue.js";
import { itemsCommand } from "./commands/items.js";
import { modelsCommand } from "./commands/models.js";
import { runCommand } from "./commands/run.js";
import { serveCommand } from "./commands/serve.js";
import { tasksCommand } from "./commands/tasks.js";
import { workerCommand } from "./commands/worker.js";

export const COMMANDS: readonly CliCommand[] = [
  serveCommand,
  modelsCommand,
  engineCommand,
  runCommand,
  itemsCommand,
  issueCommand,
  tasksCommand,
  workerCommand,
];
