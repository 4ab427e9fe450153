/**
 * Streamed tool calls arrive as fragments: the first usually carries `id` and `name`, later ones
 * pieces of the `arguments` JSON, all tagged with the call's `index`. This module puts them back
 * together and checks each finished call against its tool's JSON schema, so a malformed call
 * becomes a `toolCallError` the agent can report back to the model rather than a crash.
 */
import type { StreamEvent, ToolDefinition } from "../engine.js";

/** One `delta.tool_calls[]` entry of a chat completion chunk. */
export interface ToolCallFragment {
  index?: number;
  id?: string;
  type?: string;
  function?: { name?: string; arguments?: string };
}

interface PendingCall {
  id: string | undefined;
  name: string;
  args: string;
}

/**
 * Checks tool arguments against the tool's JSON schema. A seam rather than a direct ajv import:
 * `@bora/inference` does not declare ajv (the host does, `AjvToolValidator` in server/), and the
 * host passes its validator in.
 */
export interface ToolArgumentsValidator {
  /** Returns undefined when `args` fit `tool.parameters`, otherwise a one-line reason. */
  check(tool: ToolDefinition, args: unknown): string | undefined;
}

export interface AssemblerOptions {
  /**
   * Key fragments by `id` when an index repeats with a new id, and make up missing ids (Ollama sends
   * parallel calls all at index 0). Defaults to false.
   */
  indexReuse?: boolean;
  /** Prefix of made-up ids. Defaults to `call_`. */
  idPrefix?: string;
}

export class ToolCallAssembler {
  private readonly calls: PendingCall[] = [];
  /** Position in `calls` of the call each stream index currently refers to. */
  private readonly slotOfIndex = new Map<number, number>();
  private madeUpIds = 0;

  constructor(
    private readonly tools: readonly ToolDefinition[],
    private readonly validator: ToolArgumentsValidator,
    private readonly options: AssemblerOptions = {},
  ) {}

  get size(): number {
    return this.calls.length;
  }

  add(fragment: ToolCallFragment): void {
    const index = fragment.index ?? 0;
    let slot = this.slotOfIndex.get(index);
    const current = slot === undefined ? undefined : this.calls[slot];
    const startsNewCall =
      current === undefined ||
      (this.options.indexReuse === true &&
        fragment.id !== undefined &&
        fragment.id !== "" &&
        current.id !== undefined &&
        fragment.id !== current.id) ||
      // Without ids to go by, a second name at the same index can only be a second call.
      (this.options.indexReuse === true &&
        fragment.function?.name !== undefined &&
        fragment.function.name !== "" &&
        current.name !== "" &&
        fragment.id === undefined);
    if (startsNewCall) {
      slot = this.calls.length;
      this.calls.push({ id: undefined, name: "", args: "" });
      this.slotOfIndex.set(index, slot);
    }
    const call = this.calls[slot!]!;
    if (fragment.id) call.id ??= fragment.id;
    if (fragment.function?.name) call.name += call.name === "" ? fragment.function.name : "";
    if (fragment.function?.arguments) call.args += fragment.function.arguments;
  }

  /** The finished calls, in the order they began, as `toolCall` or `toolCallError` events. */
  finish(): Extract<StreamEvent, { type: "toolCall" | "toolCallError" }>[] {
    return this.calls.map((call) => {
      const id = call.id ?? `${this.options.idPrefix ?? "call_"}${++this.madeUpIds}`;
      const error = (message: string): Extract<StreamEvent, { type: "toolCallError" }> => ({
        type: "toolCallError",
        id,
        name: call.name,
        rawArguments: call.args,
        message,
      });
      const tool = this.tools.find((t) => t.name === call.name);
      if (tool === undefined) {
        const known = this.tools.map((t) => t.name).join(", ") || "none";
        return error(`there is no tool named '${call.name}' (available: ${known})`);
      }
      let args: unknown;
      try {
        // Some servers send no arguments at all for a tool without parameters.
        args = call.args.trim() === "" ? {} : JSON.parse(call.args);
      } catch (e) {
        return error(`the arguments are not valid JSON (${(e as Error).message})`);
      }
      if (typeof args !== "object" || args === null || Array.isArray(args)) {
        return error("the arguments must be a JSON object");
      }
      const problem = this.validator.check(tool, args);
      if (problem !== undefined) return error(`the arguments do not match the tool's schema: ${problem}`);
      return { type: "toolCall", call: { id, name: call.name, arguments: args as Record<string, unknown> } };
    });
  }
}
