/**
 * Reads OpenAI-format request bodies into Bora engine requests. Anything malformed becomes an
 * `ApiError` naming the field, which the server answers as a 400 in OpenAI's error format.
 */
import type {
  ChatMessage,
  ChatRequest,
  CompletionRequest,
  EditRequest,
  GenerationOptions,
  ToolCall,
  ToolDefinition,
} from "@bora/inference";

/** An error the server answers with `{error: {message, type, param, code}}`. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly param: string | null = null,
    readonly code: string | null = null,
    readonly type = status === 401 ? "authentication_error" : status >= 500 ? "server_error" : "invalid_request_error",
  ) {
    super(message);
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function bad(param: string, what: string): never {
  throw new ApiError(400, `${param}: ${what}`, param);
}

/** `content` may be a string, null, or an array of `{type: "text", text}` parts. */
function textContent(value: unknown, param: string): string {
  if (value === undefined || value === null) return "";
  if (typeof value === "string") return value;
  if (Array.isArray(value)) {
    return value
      .map((part, i) => {
        if (!isRecord(part) || part["type"] !== "text" || typeof part["text"] !== "string") {
          return bad(`${param}[${i}]`, "only text content parts are supported");
        }
        return part["text"];
      })
      .join("");
  }
  return bad(param, "expected a string or an array of text parts");
}

function parseMessages(raw: unknown): ChatMessage[] {
  if (!Array.isArray(raw) || raw.length === 0) bad("messages", "expected a non-empty array");
  const toolNames = new Map<string, string>();
  return (raw as unknown[]).map((m, i): ChatMessage => {
    const at = `messages[${i}]`;
    if (!isRecord(m)) return bad(at, "expected an object");
    const content = textContent(m["content"], `${at}.content`);
    switch (m["role"]) {
      case "system":
      case "developer":
        return { role: "system", content };
      case "user":
        return { role: "user", content };
      case "assistant": {
        const rawCalls = m["tool_calls"];
        if (rawCalls === undefined || rawCalls === null) return { role: "assistant", content };
        if (!Array.isArray(rawCalls)) return bad(`${at}.tool_calls`, "expected an array");
        const toolCalls = rawCalls.map((c: unknown, j): ToolCall => {
          const cat = `${at}.tool_calls[${j}]`;
          const fn = isRecord(c) ? c["function"] : undefined;
          if (!isRecord(c) || typeof c["id"] !== "string" || !isRecord(fn) || typeof fn["name"] !== "string") {
            return bad(cat, "expected {id, type: 'function', function: {name, arguments}}");
          }
          let args: unknown = {};
          if (typeof fn["arguments"] === "string" && fn["arguments"].trim() !== "") {
            try {
              args = JSON.parse(fn["arguments"]);
            } catch {
              return bad(`${cat}.function.arguments`, "is not valid JSON");
            }
          }
          if (!isRecord(args)) return bad(`${cat}.function.arguments`, "must be a JSON object");
          toolNames.set(c["id"], fn["name"]);
          return { id: c["id"], name: fn["name"], arguments: args };
        });
        return { role: "assistant", content, toolCalls };
      }
      case "tool": {
        const id = m["tool_call_id"];
        if (typeof id !== "string") return bad(`${at}.tool_call_id`, "expected a string");
        // OpenAI clients do not send `name` on tool messages; recover it from the call.
        const name = typeof m["name"] === "string" ? m["name"] : toolNames.get(id);
        if (name === undefined) return bad(`${at}.tool_call_id`, `no earlier assistant tool call has id '${id}'`);
        return { role: "tool", toolCallId: id, name, content };
      }
      default:
        return bad(`${at}.role`, "expected system, developer, user, assistant or tool");
    }
  });
}

function parseTools(raw: unknown): ToolDefinition[] {
  if (raw === undefined || raw === null) return [];
  if (!Array.isArray(raw)) bad("tools", "expected an array");
  return (raw as unknown[]).map((t, i) => {
    const fn = isRecord(t) ? t["function"] : undefined;
    if (!isRecord(t) || t["type"] !== "function" || !isRecord(fn) || typeof fn["name"] !== "string") {
      return bad(`tools[${i}]`, "expected {type: 'function', function: {name, description, parameters}}");
    }
    const parameters = fn["parameters"] ?? { type: "object", properties: {} };
    if (!isRecord(parameters)) return bad(`tools[${i}].function.parameters`, "expected a JSON Schema object");
    return {
      name: fn["name"],
      description: typeof fn["description"] === "string" ? fn["description"] : "",
      parameters,
    };
  });
}

function parseSampling(body: Record<string, unknown>): GenerationOptions {
  const out: GenerationOptions = {};
  const maxTokens = body["max_completion_tokens"] ?? body["max_tokens"];
  if (maxTokens !== undefined && maxTokens !== null) {
    if (typeof maxTokens !== "number" || !Number.isInteger(maxTokens) || maxTokens < 1)
      bad("max_tokens", "expected a positive integer");
    out.maxTokens = maxTokens;
  }
  const temperature = body["temperature"];
  if (temperature !== undefined && temperature !== null) {
    if (typeof temperature !== "number" || temperature < 0 || temperature > 2) bad("temperature", "expected 0 to 2");
    out.temperature = temperature;
  }
  const seed = body["seed"];
  if (seed !== undefined && seed !== null) {
    if (typeof seed !== "number" || !Number.isInteger(seed)) bad("seed", "expected an integer");
    out.seed = seed;
  }
  const stop = body["stop"];
  if (stop !== undefined && stop !== null) {
    if (typeof stop === "string") out.stop = [stop];
    else if (Array.isArray(stop) && stop.every((s) => typeof s === "string")) out.stop = stop as string[];
    else bad("stop", "expected a string or an array of strings");
  }
  const n = body["n"];
  if (n !== undefined && n !== null && n !== 1) bad("n", "only n = 1 is supported");
  return out;
}

export interface StreamFlags {
  stream: boolean;
  includeUsage: boolean;
}

function parseStreamFlags(body: Record<string, unknown>): StreamFlags {
  const stream = body["stream"] === true;
  const options = body["stream_options"];
  return { stream, includeUsage: stream && isRecord(options) && options["include_usage"] === true };
}

export type ParsedChat =
  ({ kind: "chat"; request: ChatRequest } & StreamFlags) | ({ kind: "edit"; request: EditRequest } & StreamFlags);

/** `POST /v1/chat/completions`. A `prediction` (OpenAI's predicted outputs) makes it an `edit()`. */
export function parseChatBody(body: unknown): ParsedChat {
  if (!isRecord(body)) bad("body", "expected a JSON object");
  const b = body as Record<string, unknown>;
  const messages = parseMessages(b["messages"]);
  let tools = parseTools(b["tools"]);
  let toolChoice: ChatRequest["toolChoice"];
  const choice = b["tool_choice"];
  if (choice === "auto" || choice === "none" || choice === "required") toolChoice = choice;
  else if (isRecord(choice)) {
    const fn = choice["function"];
    const name = isRecord(fn) ? fn["name"] : undefined;
    const forced = tools.find((t) => t.name === name);
    if (forced === undefined) bad("tool_choice", `names no tool in tools: ${JSON.stringify(name)}`);
    // Forcing one function is "required" over a list of one.
    tools = [forced!];
    toolChoice = "required";
  } else if (choice !== undefined && choice !== null) bad("tool_choice", "expected auto, none, required or {function}");
  const parallel = b["parallel_tool_calls"];
  if (parallel !== undefined && parallel !== null && typeof parallel !== "boolean")
    bad("parallel_tool_calls", "expected true or false");
  const flags = parseStreamFlags(b);
  const sampling = parseSampling(b);
  const prediction = b["prediction"];
  if (prediction !== undefined && prediction !== null) {
    if (!isRecord(prediction) || prediction["type"] !== "content")
      bad("prediction", "expected {type: 'content', content}");
    if (tools.length > 0) bad("prediction", "cannot be combined with tools");
    const text = textContent((prediction as Record<string, unknown>)["content"], "prediction.content");
    return { kind: "edit", request: { ...sampling, messages, prediction: text }, ...flags };
  }
  const request: ChatRequest = { ...sampling, messages };
  if (tools.length > 0) request.tools = tools;
  if (toolChoice !== undefined) request.toolChoice = toolChoice;
  if (typeof parallel === "boolean") request.parallelToolCalls = parallel;
  return { kind: "chat", request, ...flags };
}

/** `POST /v1/completions`; a `suffix` asks for fill-in-the-middle. */
export function parseCompletionBody(body: unknown): { request: CompletionRequest } & StreamFlags {
  if (!isRecord(body)) bad("body", "expected a JSON object");
  const b = body as Record<string, unknown>;
  let prompt = b["prompt"];
  if (Array.isArray(prompt) && prompt.length === 1 && typeof prompt[0] === "string") prompt = prompt[0];
  if (typeof prompt !== "string") bad("prompt", "expected a string (one prompt per request)");
  const request: CompletionRequest = { ...parseSampling(b), prompt: prompt as string };
  const suffix = b["suffix"];
  if (suffix !== undefined && suffix !== null) {
    if (typeof suffix !== "string") bad("suffix", "expected a string");
    request.suffix = suffix as string;
  }
  return { request, ...parseStreamFlags(b) };
}
