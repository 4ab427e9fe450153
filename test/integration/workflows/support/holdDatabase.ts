/**
 * A host stand-in for the database test: opens the embedded workflow database in the state folder
 * given as its argument, says so on stdout (one JSON line), then waits to be killed. A SIGKILL leaves
 * its PostgreSQL running, as a killed host would.
 */
import { createLogger } from "../../../../server/src/host/logger.js";
import { openWorkflowDatabase } from "../../../../server/src/workflows/database.js";
import { Spawner } from "../../../../server/src/workspace/spawner.js";

const stateDir = process.argv[2];
if (!stateDir) throw new Error("usage: holdDatabase.ts <stateDir>");
const database = await openWorkflowDatabase({ stateDir, spawner: new Spawner(), log: createLogger("warn") });
process.stdout.write(`${JSON.stringify({ opened: database.embedded })}\n`);
// Keeps the process alive until the test kills it.
setInterval(() => undefined, 60_000);
