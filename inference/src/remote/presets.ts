/**
 * What differs between OpenAI-compatible servers: where they listen, how they authenticate, which
 * fill-in-the-middle endpoint they have, and which request shapes they reject. Everything else in
 * the remote engine is the same for all of them.
 */

export type RemotePresetName = "openai" | "vllm" | "llamacpp" | "ollama" | "mistral" | "bora";

/** How a server does fill-in-the-middle, if at all. */
export type FimEndpoint =
  /** Mistral's `POST /v1/fim/completions` `{prompt, suffix}`, answered like a chat completion. */
  | "mistral"
  /** llama.cpp server's `POST /infill` `{input_prefix, input_suffix}` (outside `/v1`), answered `{content}`. */
  | "llamacppInfill"
  /** `suffix` on `POST /v1/completions`, as Bora's own engine server accepts. */
  | "completionsSuffix"
  | "none";

export interface RemotePreset {
  name: RemotePresetName;
  /** Base URL including the `/v1` path. */
  defaultBaseUrl: string;
  /** Environment variables searched, in order, for the API key when none is given. */
  apiKeyEnv: readonly string[];
  /** Whether a request without a key is certain to fail (hosted APIs); local servers usually run without one. */
  requiresApiKey: boolean;
  /**
   * A key sent when none is configured, for servers whose OpenAI layer insists on a non-empty one
   * but ignores its value (Ollama).
   */
  placeholderApiKey?: string;
  fim: FimEndpoint;
  /** Whether the server tokenizes on `POST /tokenize` (llama.cpp, vLLM, Bora), so `countTokens` is exact. */
  tokenize: boolean;
  /** Whether `prediction: {type: "content"}` (predicted outputs) speeds up `edit()`. */
  prediction: boolean;
  /**
   * Mistral's ordering rules: tool-call ids of exactly 9 letters or digits; an assistant turn
   * between a tool result and the next user turn; system messages only first; the last message a
   * user or tool turn unless an assistant turn is marked `prefix: true`.
   */
  mistralMessageRules: boolean;
  /**
   * Parallel tool calls may all arrive at stream `index` 0, told apart only by a new `id`, and ids
   * may be missing (Ollama). The assembler then keys by id and makes up missing ones.
   */
  toolCallIndexReuse: boolean;
}

export const REMOTE_PRESETS: Readonly<Record<RemotePresetName, RemotePreset>> = Object.freeze({
  openai: {
    name: "openai",
    defaultBaseUrl: "https://api.openai.com/v1",
    apiKeyEnv: ["BORA_REMOTE_API_KEY", "OPENAI_API_KEY"],
    requiresApiKey: true,
    fim: "none",
    tokenize: false,
    prediction: true,
    mistralMessageRules: false,
    toolCallIndexReuse: false,
  },
  vllm: {
    name: "vllm",
    defaultBaseUrl: "http://127.0.0.1:8000/v1",
    apiKeyEnv: ["BORA_REMOTE_API_KEY", "VLLM_API_KEY"],
    requiresApiKey: false,
    // vLLM's /v1/completions has no `suffix`, so there is no FIM through its OpenAI API.
    fim: "none",
    tokenize: true,
    prediction: false,
    mistralMessageRules: false,
    toolCallIndexReuse: false,
  },
  llamacpp: {
    name: "llamacpp",
    defaultBaseUrl: "http://127.0.0.1:8080/v1",
    apiKeyEnv: ["BORA_REMOTE_API_KEY", "LLAMA_API_KEY"],
    requiresApiKey: false,
    fim: "llamacppInfill",
    tokenize: true,
    prediction: false,
    mistralMessageRules: false,
    toolCallIndexReuse: false,
  },
  ollama: {
    name: "ollama",
    defaultBaseUrl: "http://127.0.0.1:11434/v1",
    apiKeyEnv: ["BORA_REMOTE_API_KEY", "OLLAMA_API_KEY"],
    requiresApiKey: false,
    placeholderApiKey: "ollama",
    // Ollama's FIM is `suffix` on its native NDJSON API, not on the OpenAI layer.
    fim: "none",
    tokenize: false,
    prediction: false,
    mistralMessageRules: false,
    toolCallIndexReuse: true,
  },
  mistral: {
    name: "mistral",
    defaultBaseUrl: "https://api.mistral.ai/v1",
    apiKeyEnv: ["BORA_REMOTE_API_KEY", "MISTRAL_API_KEY"],
    requiresApiKey: true,
    fim: "mistral",
    tokenize: false,
    prediction: false,
    mistralMessageRules: true,
    toolCallIndexReuse: false,
  },
  bora: {
    name: "bora",
    defaultBaseUrl: "http://127.0.0.1:8765/v1",
    apiKeyEnv: ["BORA_REMOTE_API_KEY", "BORA_ENGINE_TOKEN"],
    requiresApiKey: false,
    fim: "completionsSuffix",
    tokenize: true,
    prediction: true,
    mistralMessageRules: false,
    toolCallIndexReuse: false,
  },
});

export function isRemotePresetName(value: string): value is RemotePresetName {
  return Object.hasOwn(REMOTE_PRESETS, value);
}
