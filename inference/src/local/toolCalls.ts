/**
 * How local models see tools and how their calls are read back. The format is the Hermes/Qwen one
 * most open models are trained on: tool signatures in the system prompt inside `<tools>`, a call as
 * `<tool_call>{"name": ..., "arguments": {...}}</tool_call>`, a result as a user turn inside
 * `<tool_response>`. The call itself is written under a grammar (see `jsonSchemaGrammar.ts`), so it
 * always parses and always matches the tool's schema.
 */
import type { ChatMessage, ToolCall, ToolDefinition } from "../engine.js";
import { GbnfBuilder, gbnfLiteral, type GrammarLimits } from "./jsonSchemaGrammar.js";

export const TOOL_CALL_OPEN = "<tool_call>";
export const TOOL_CALL_CLOSE = "</tool_call>";

/** The system-prompt section that lists the tools and says how to call them. */
export function toolsSystemText(tools: readonly ToolDefinition[]): string {
  const signatures = tools
    .map((t) =>
      JSON.stringify({
        type: "function",
        function: { name: t.name, description: t.description, parameters: t.parameters },
      }),
    )
    .join("\n");
  return [
    "# Tools",
    "",
    "You may call these tools to help with the request.",
    "<tools>",
    signatures,
    "</tools>",
    "",
    "To call a tool, write a JSON object with the tool's name and arguments inside tags, one call per line:",
    `${TOOL_CALL_OPEN}{"name": <tool name>, "arguments": <arguments object>}${TOOL_CALL_CLOSE}`,
  ].join("\n");
}

export function renderToolCall(call: Pick<ToolCall, "name" | "arguments">): string {
  return `${TOOL_CALL_OPEN}${JSON.stringify({ name: call.name, arguments: call.arguments })}${TOOL_CALL_CLOSE}`;
}

/** A conversation in the three roles every chat template knows: system, user, model. */
export type PlainTurn = { role: "system" | "user" | "model"; text: string };

/**
 * Flattens Bora's messages to system/user/model turns: tool results become a user turn of
 * `<tool_response>` blocks (consecutive results share one turn) and tool calls are written into
 * the assistant text, as the model itself would have written them.
 */
export function toPlainTurns(messages: readonly ChatMessage[], tools: readonly ToolDefinition[] = []): PlainTurn[] {
  const turns: PlainTurn[] = [];
  const push = (role: PlainTurn["role"], text: string): void => {
    const last = turns.at(-1);
    if (last !== undefined && last.role === role && role !== "model") last.text += `\n${text}`;
    else turns.push({ role, text });
  };
  for (const message of messages) {
    switch (message.role) {
      case "system":
        push("system", message.content);
        break;
      case "user":
        push("user", message.content);
        break;
      case "assistant": {
        const calls = (message.toolCalls ?? []).map(renderToolCall).join("\n");
        push("model", [message.content, calls].filter((p) => p !== "").join("\n"));
        break;
      }
      case "tool":
        push("user", `<tool_response name=${JSON.stringify(message.name)}>\n${message.content}\n</tool_response>`);
        break;
    }
  }
  if (tools.length > 0) {
    const section = toolsSystemText(tools);
    const first = turns[0];
    if (first !== undefined && first.role === "system") first.text = `${first.text}\n\n${section}`;
    else turns.unshift({ role: "system", text: section });
  }
  return turns;
}

/**
 * What the engine writes itself when a call is required: the model's grammar starts after it, so
 * no sampling step is spent on text that has only one possible value.
 */
export const REQUIRED_CALL_PREFIX = `${TOOL_CALL_OPEN}{"name":"`;

/**
 * GBNF for a turn's tool calls: one, or up to `maxCalls` separated by a newline. `start: "name"`
 * continues after `REQUIRED_CALL_PREFIX` and ends with the last call's closing brace (the engine
 * adds its `</tool_call>`); `start: "open"` continues after the model wrote `<tool_call>` on its own
 * and ends with `</tool_call>`. Throws `UnsupportedSchemaError` for a tool whose schema cannot be
 * enforced.
 */
export function toolCallGrammar(
  tools: readonly ToolDefinition[],
  options: { start: "name" | "open"; limits?: GrammarLimits; maxCalls?: number },
): string {
  if (tools.length === 0) throw new RangeError("a tool-call grammar needs at least one tool");
  const maxCalls = options.maxCalls ?? 1;
  if (!Number.isInteger(maxCalls) || maxCalls < 1) throw new RangeError(`maxCalls must be at least 1, got ${maxCalls}`);
  const builder = new GbnfBuilder(options.limits);
  const bodies = tools.map((tool) => {
    const args = builder.value(tool.parameters, `tool "${tool.name}" parameters`);
    return { name: JSON.stringify(tool.name).slice(1, -1), args };
  });
  const call = (head: string): string =>
    bodies.map((b) => `${gbnfLiteral(`${head}${b.name}","arguments":`)} ${b.args} "}"`).join(" | ");
  builder.define("call", call('{"name":"'));
  if (options.start === "name") builder.define("first", call(""));
  // Each further call is optional; nested rather than `{0,n}` so any GBNF reader takes it.
  const next =
    options.start === "name"
      ? gbnfLiteral(`${TOOL_CALL_CLOSE}\n${TOOL_CALL_OPEN}`) + " call"
      : gbnfLiteral(`\n${TOOL_CALL_OPEN}`) + ` call ${gbnfLiteral(TOOL_CALL_CLOSE)}`;
  let more = "";
  for (let i = 1; i < maxCalls; i++) more = `(${next}${more === "" ? "" : ` ${more}`})?`;
  if (more !== "") builder.define("more", more);
  const first = options.start === "name" ? "first" : `call ${gbnfLiteral(TOOL_CALL_CLOSE)}`;
  builder.define("root", more === "" ? first : `${first} more`);
  return builder.toString();
}

export type ParsedToolCall =
  | { ok: true; name: string; arguments: Record<string, unknown> }
  | { ok: false; name: string; raw: string; message: string };

/** One call of a turn, its text, and whether its `</tool_call>` was written (a cut-off call has none). */
export type ParsedTurnCall = ParsedToolCall & { complete: boolean; text: string };

/**
 * Reads a turn's calls, `<tool_call>{...}</tool_call>` blocks separated by whitespace. Text after
 * the last complete block that is not another call is reported as a call that does not parse.
 */
export function parseToolCalls(text: string, tools: readonly ToolDefinition[]): ParsedTurnCall[] {
  const calls: ParsedTurnCall[] = [];
  let rest = text.trim();
  while (rest !== "") {
    const end = rest.indexOf(TOOL_CALL_CLOSE);
    if (!rest.startsWith(TOOL_CALL_OPEN) || end < 0) {
      calls.push({ ...parseToolCall(rest, tools), complete: end >= 0, text: rest });
      break;
    }
    const block = rest.slice(0, end + TOOL_CALL_CLOSE.length);
    calls.push({ ...parseToolCall(block, tools), complete: true, text: block });
    rest = rest.slice(end + TOOL_CALL_CLOSE.length).trim();
  }
  return calls;
}

/** Reads a call written as `<tool_call>{...}</tool_call>` (the tags are optional). */
export function parseToolCall(text: string, tools: readonly ToolDefinition[]): ParsedToolCall {
  let raw = text.trim();
  if (raw.startsWith(TOOL_CALL_OPEN)) raw = raw.slice(TOOL_CALL_OPEN.length);
  if (raw.endsWith(TOOL_CALL_CLOSE)) raw = raw.slice(0, -TOOL_CALL_CLOSE.length);
  raw = raw.trim();
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch (error) {
    return { ok: false, name: "", raw, message: `the tool call is not JSON: ${(error as Error).message}` };
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
    return { ok: false, name: "", raw, message: "the tool call is not a JSON object" };
  }
  const { name, arguments: args } = parsed as { name?: unknown; arguments?: unknown };
  if (typeof name !== "string" || !tools.some((t) => t.name === name)) {
    return { ok: false, name: typeof name === "string" ? name : "", raw, message: `no tool named ${String(name)}` };
  }
  if (typeof args !== "object" || args === null || Array.isArray(args)) {
    return { ok: false, name, raw, message: "the tool call's arguments are not a JSON object" };
  }
  return { ok: true, name, arguments: args as Record<string, unknown> };
}
