/**
 * Converts Bora's chat messages and tools into the OpenAI wire format, applying a preset's
 * ordering rules on the copy that is sent (the caller's transcript is never changed).
 */
import { createHash } from "node:crypto";
import type { ChatMessage, ToolDefinition } from "../engine.js";

export interface WireToolCall {
  id: string;
  type: "function";
  function: { name: string; arguments: string };
}

export type WireMessage =
  | { role: "system"; content: string }
  | { role: "user"; content: string }
  | { role: "assistant"; content: string | null; tool_calls?: WireToolCall[]; prefix?: boolean }
  | { role: "tool"; tool_call_id: string; name: string; content: string };

export interface WireTool {
  type: "function";
  function: { name: string; description: string; parameters: Record<string, unknown> };
}

export interface WireMessageOptions {
  /** Apply Mistral's ordering rules (see `RemotePreset.mistralMessageRules`). Defaults to false. */
  mistralMessageRules?: boolean;
}

/**
 * The text of the assistant turn inserted between a tool result and a user turn for Mistral, which
 * rejects `tool` directly followed by `user`. Short and neutral, so it does not steer the model.
 */
export const MISTRAL_BRIDGE_TEXT = "Done.";

/** Mistral accepts only tool-call ids of exactly nine letters or digits; map ours stably onto that form. */
export function mistralToolCallId(id: string): string {
  if (/^[A-Za-z0-9]{9}$/.test(id)) return id;
  const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
  const digest = createHash("sha256").update(id).digest();
  let out = "";
  for (let i = 0; i < 9; i++) out += alphabet[digest[i]! % alphabet.length];
  return out;
}

export function toWireTools(tools: readonly ToolDefinition[]): WireTool[] {
  return tools.map((t) => ({
    type: "function",
    function: { name: t.name, description: t.description, parameters: t.parameters },
  }));
}

export function toWireMessages(messages: readonly ChatMessage[], options: WireMessageOptions = {}): WireMessage[] {
  const mistral = options.mistralMessageRules ?? false;
  const mapId = mistral ? mistralToolCallId : (id: string) => id;
  const out: WireMessage[] = [];
  for (const m of messages) {
    switch (m.role) {
      case "system":
      case "user":
        out.push({ role: m.role, content: m.content });
        break;
      case "assistant": {
        const calls = m.toolCalls ?? [];
        if (calls.length === 0) out.push({ role: "assistant", content: m.content });
        else
          out.push({
            role: "assistant",
            // OpenAI-style servers want null rather than "" next to tool calls.
            content: m.content === "" ? null : m.content,
            tool_calls: calls.map((c) => ({
              id: mapId(c.id),
              type: "function",
              function: { name: c.name, arguments: JSON.stringify(c.arguments) },
            })),
          });
        break;
      }
      case "tool":
        out.push({ role: "tool", tool_call_id: mapId(m.toolCallId), name: m.name, content: m.content });
        break;
    }
  }
  return mistral ? applyMistralOrdering(out) : out;
}

function applyMistralOrdering(messages: WireMessage[]): WireMessage[] {
  // System messages only count at the start: gather them into one leading message, in order.
  const system = messages.filter((m) => m.role === "system").map((m) => m.content);
  const rest = messages.filter((m) => m.role !== "system");
  const out: WireMessage[] = system.length > 0 ? [{ role: "system", content: system.join("\n\n") }] : [];
  for (const m of rest) {
    const previous = out[out.length - 1];
    if (m.role === "user" && previous?.role === "tool") out.push({ role: "assistant", content: MISTRAL_BRIDGE_TEXT });
    out.push(m);
  }
  const last = out[out.length - 1];
  // A trailing assistant turn is only accepted as a prefix the model continues.
  if (last?.role === "assistant" && last.tool_calls === undefined) last.prefix = true;
  return out;
}
