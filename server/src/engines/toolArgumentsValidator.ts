/**
 * The one check of tool-call arguments against a tool's JSON schema, with one wording of what is
 * wrong: the remote engine checks streamed tool calls with it, and the agent checks every call
 * before it runs a tool. The message goes back to the model, so it names each problem by its path
 * (`arguments/path must be string`) and the property that should not be there.
 * TODO(issue 4): move next to the assembler once `@bora/inference` declares ajv itself.
 */
import type { ToolArgumentsValidator, ToolDefinition } from "@bora/inference";
import AjvModule, { type ErrorObject, type ValidateFunction } from "ajv";
import addFormatsModule from "ajv-formats";

// Both are CommonJS; under NodeNext their classes sit one level down (both also set `.default` at run time).
const Ajv = AjvModule.default;
const addFormats = addFormatsModule.default;

/** One line per schema violation, e.g. `arguments/edits/0 must have required property 'new'`. */
export function describeSchemaErrors(errors: readonly ErrorObject[]): string {
  return errors
    .map((e) => {
      const extra =
        e.params && "additionalProperty" in e.params ? ` ('${String(e.params["additionalProperty"])}')` : "";
      return `arguments${e.instancePath} ${e.message ?? "is invalid"}${extra}`;
    })
    .join("; ");
}

export class AjvToolValidator implements ToolArgumentsValidator {
  private readonly ajv = addFormats(new Ajv({ strict: false, allErrors: true }));
  /** Compiled once per schema object; agents pass the same tool definitions every turn. */
  private readonly cache = new WeakMap<object, ValidateFunction | Error>();

  /** Undefined when the arguments fit the tool's schema; otherwise what is wrong, for the model to fix its call. */
  check(tool: ToolDefinition, args: unknown): string | undefined {
    let validate = this.cache.get(tool.parameters);
    if (validate === undefined) {
      try {
        validate = this.ajv.compile(tool.parameters);
      } catch (error) {
        validate = error instanceof Error ? error : new Error(String(error));
      }
      this.cache.set(tool.parameters, validate);
    }
    if (validate instanceof Error) return `the schema of tool '${tool.name}' does not compile: ${validate.message}`;
    if (validate(args)) return undefined;
    return describeSchemaErrors(validate.errors ?? []);
  }
}
