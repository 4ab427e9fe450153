/** `bora models list`: what the model store holds, and pulls that will resume. */
import { parseArgs } from "node:util";
import { ModelStore, formatBytes } from "@bora/inference";
import { UsageError } from "../../command.js";
import type { ModelsSubcommand } from "../models.js";

export const listSubcommand: ModelsSubcommand = {
  name: "list",
  summary: "List the models in the model store",
  usage: `bora models list [--json]

Lists the store's models (name, size, architecture, source) and interrupted pulls.

Options:
  --json  One JSON object {models, partial, dir} instead of a table`,
  async run(args, io) {
    const { values, positionals } = parseArgs({
      args,
      strict: true,
      allowPositionals: true,
      options: { json: { type: "boolean" } },
    });
    if (positionals.length > 0) throw new UsageError(`unexpected argument '${positionals[0]}'`);
    const store = new ModelStore({ env: io.env, uri: { cwd: io.cwd } });
    const [models, partial] = [await store.list(), await store.partials()];
    if (values.json) {
      io.stdout.write(`${JSON.stringify({ dir: store.dir, models, partial })}\n`);
      return 0;
    }
    if (models.length === 0 && partial.length === 0) {
      io.stdout.write(`no models in ${store.dir}; add one with 'bora models pull <uri>'\n`);
      return 0;
    }
    const width = Math.max(4, ...models.map((m) => m.name.length), ...partial.map((p) => p.name.length));
    for (const m of models) {
      io.stdout.write(
        `${m.name.padEnd(width)}  ${formatBytes(m.sizeBytes).padStart(11)}  ${(m.architecture || "?").padEnd(8)}  ${m.source}\n`,
      );
    }
    for (const p of partial) {
      const of = p.totalBytes !== undefined ? ` of ${formatBytes(p.totalBytes)}` : "";
      io.stdout.write(
        `${p.name.padEnd(width)}  partial: ${formatBytes(p.receivedBytes)}${of}; 'bora models pull' again resumes it\n`,
      );
    }
    return 0;
  },
};
