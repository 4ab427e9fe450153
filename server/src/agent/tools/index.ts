/** The agent's tool set, with argument validation against each tool's JSON schema. */
import { Ajv, type ValidateFunction } from "ajv";
import type { ToolDefinition } from "@bora/inference";
import type { SearchBackend } from "../../workspace/search.js";
import { askUserTool } from "./askUser.js";
import { editFileTool } from "./editFile.js";
import { listDirTool } from "./listDir.js";
import { readFileTool } from "./readFile.js";
import { runCommandTool } from "./runCommand.js";
import { createSearchTool } from "./searchTool.js";
import type { Tool } from "./types.js";
import { writeFileTool } from "./writeFile.js";

export * from "./types.js";

export interface ToolSetOptions {
  /** Forces a search backend. Defaults to the best available (ripgrep, git grep, JavaScript). */
  searchBackend?: SearchBackend;
}

export class ToolSet {
  private readonly byName = new Map<string, { tool: Tool; validate: ValidateFunction }>();

  constructor(tools: readonly Tool[]) {
    const ajv = new Ajv({ allErrors: true, strict: false });
    for (const tool of tools)
      this.byName.set(tool.definition.name, { tool, validate: ajv.compile(tool.definition.parameters) });
  }

  get definitions(): ToolDefinition[] {
    return [...this.byName.values()].map(({ tool }) => tool.definition);
  }

  get(name: string): Tool | undefined {
    return this.byName.get(name)?.tool;
  }

  /** Undefined when valid; otherwise a message naming each problem, for the model to fix its call. */
  validate(name: string, args: unknown): string | undefined {
    const entry = this.byName.get(name);
    if (entry === undefined)
      return `there is no tool named '${name}'; the tools are ${[...this.byName.keys()].join(", ")}`;
    if (entry.validate(args)) return undefined;
    return (entry.validate.errors ?? [])
      .map(
        (e) =>
          `${e.instancePath || "arguments"} ${e.message ?? "is invalid"}${e.params && "additionalProperty" in e.params ? ` ('${String(e.params["additionalProperty"])}')` : ""}`,
      )
      .join("; ");
  }
}

export function createToolSet(options: ToolSetOptions = {}): ToolSet {
  return new ToolSet([
    readFileTool,
    listDirTool,
    createSearchTool(options.searchBackend),
    editFileTool,
    writeFileTool,
    runCommandTool,
    askUserTool,
  ]);
}
