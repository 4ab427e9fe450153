/**
 * The ajv-based `ToolArgumentsValidator` the remote engine checks streamed tool calls with. It
 * lives in the host because the host is the package that declares ajv 8.
 * TODO(issue 4): move next to the assembler once `@bora/inference` declares ajv itself.
 */
import type { ToolArgumentsValidator, ToolDefinition } from "@bora/inference";
import AjvModule, { type ValidateFunction } from "ajv";
import addFormatsModule from "ajv-formats";

// Both are CommonJS; under NodeNext their classes sit one level down (both also set `.default` at run time).
const Ajv = AjvModule.default;
const addFormats = addFormatsModule.default;

export class AjvToolValidator implements ToolArgumentsValidator {
  private readonly ajv = addFormats(new Ajv({ strict: false, allErrors: true }));
  /** Compiled once per schema object; agents pass the same tool definitions every turn. */
  private readonly cache = new WeakMap<object, ValidateFunction | Error>();

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
    return (validate.errors ?? [])
      .map((e) => `${e.instancePath === "" ? "arguments" : `arguments${e.instancePath}`} ${e.message ?? "is invalid"}`)
      .join("; ");
  }
}
