/** `bora models rm <name>`: deletes a model (and any partial download of it) from the store. */
import { parseArgs } from "node:util";
import { ModelStore, isModelStoreError } from "@bora/inference";
import { UsageError } from "../../command.js";
import type { ModelsSubcommand } from "../models.js";

export const rmSubcommand: ModelsSubcommand = {
  name: "rm",
  summary: "Delete a model from the model store",
  usage: `bora models rm <name>

Deletes the model <name> (as 'bora models list' shows it) and any partial download of it.`,
  async run(args, io) {
    const { positionals } = parseArgs({ args, strict: true, allowPositionals: true, options: {} });
    const [name, extra] = positionals;
    if (name === undefined) throw new UsageError("which model? give its name from 'bora models list'");
    if (extra !== undefined) throw new UsageError(`unexpected argument '${extra}'`);
    const store = new ModelStore({ env: io.env, uri: { cwd: io.cwd } });
    try {
      if (!(await store.remove(name))) {
        io.stderr.write(
          `bora models rm: there is no model named '${name}' in ${store.dir}; 'bora models list' shows what there is\n`,
        );
        return 1;
      }
    } catch (error) {
      if (isModelStoreError(error)) {
        io.stderr.write(`bora models rm: ${error.message}\n`);
        return 1;
      }
      throw error;
    }
    io.stdout.write(`removed ${name}\n`);
    return 0;
  },
};
