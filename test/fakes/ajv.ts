/** Ajv 8 for the fakes' schema gates. */
import { createRequire } from "node:module";
import path from "node:path";
import { fileURLToPath } from "node:url";
import addFormatsModule from "ajv-formats";

const here = path.dirname(fileURLToPath(import.meta.url));
// The root node_modules/ajv is eslint's Ajv 6; the server package pins Ajv 8, so load that one.
type Ajv8 = typeof import("../../server/node_modules/ajv/dist/ajv.js");
const { Ajv } = createRequire(path.join(here, "../../server/package.json"))("ajv") as Ajv8;
export type Ajv = InstanceType<typeof Ajv>;
export type ValidateFunction = ReturnType<Ajv["compile"]>;
const addFormats = addFormatsModule.default as unknown as (ajv: Ajv) => Ajv;

export function createAjv(): Ajv {
  const ajv = new Ajv({ strict: false, allErrors: true });
  addFormats(ajv);
  return ajv;
}

export function describeErrors(validate: ValidateFunction, prefix: string): string[] {
  return (validate.errors ?? []).slice(0, 10).map((e) => `${prefix}: ${e.instancePath || "/"} ${e.message ?? ""}`);
}
