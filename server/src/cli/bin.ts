/** Entry point of the `bora` executable (bundled to server/dist/bora.mjs). */
import { runCli } from "./run.js";

const outcome = await runCli(process.argv.slice(2), {
  stdout: process.stdout,
  stderr: process.stderr,
  env: process.env,
  cwd: process.cwd(),
});
if (outcome !== "running") process.exitCode = outcome;
