/** Ajv 8 for the fakes' schema gates. */
import { Ajv, type ValidateFunction } from "ajv";
import addFormatsModule from "ajv-formats";

export type { Ajv, ValidateFunction };
// ajv-formats is CommonJS with `exports.default`; under NodeNext its default import is the module object.
const addFormats = addFormatsModule.default as unknown as (ajv: Ajv) => Ajv;

export function createAjv(): Ajv {
  const ajv = new Ajv({ strict: false, allErrors: true });
  addFormats(ajv);
  return ajv;
}

export function describeErrors(validate: ValidateFunction, prefix: string): string[] {
  return (validate.errors ?? []).slice(0, 10).map((e) => `${prefix}: ${e.instancePath || "/"} ${e.message ?? ""}`);
}
