/** The agent's tool set, with argument validation against each tool's JSON schema. */
import type { ToolDefinition } from "@bora/inference";
import { AjvToolValidator } from "../../engines/toolArgumentsValidator.js";
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
  private readonly byName = new Map<string, { tool: Tool }>();
  private readonly validator = new AjvToolValidator();

  constructor(tools: readonly Tool[]) {
    for (const tool of tools) this.byName.set(tool.definition.name, { tool });
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
    return this.validator.check(entry.tool.definition, args);
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
