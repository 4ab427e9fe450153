/**
 * Checks a model file before llama.cpp sees it, and turns llama.cpp's refusals into typed errors
 * a user can act on. llama.cpp itself only says "failed to load model"; the reason is in its log,
 * which `classifyLoadFailure` reads.
 */
import { EngineError } from "../errors.js";
import { formatBytes } from "../formatBytes.js";
import { metadataValue, readGgufHeader } from "../gguf/index.js";

export interface ModelFileFacts {
  path: string;
  bytes: number;
  architecture: string;
  name: string | undefined;
}

/**
 * Refuses a missing file, a file that is not GGUF, a file cut short and an architecture the bundled
 * llama.cpp cannot run, each with its own code (see `readGgufHeader`). Reads only the header and the
 * tensor table, never the weights.
 */
export async function inspectModelFile(modelPath: string): Promise<ModelFileFacts> {
  const header = await readGgufHeader(modelPath);
  const name = metadataValue(header, "general.name");
  return {
    path: modelPath,
    bytes: header.fileSize,
    architecture: header.architecture,
    name: typeof name === "string" ? name : undefined,
  };
}

/** Maps a failed `loadModel` to a typed error, using what llama.cpp logged while it tried. */
export function classifyLoadFailure(error: unknown, facts: ModelFileFacts, log: readonly string[]): EngineError {
  const text = [String((error as Error | undefined)?.message ?? error), ...log].join("\n");
  if (/unknown (model )?architecture/i.test(text)) {
    return new EngineError(
      "unsupportedArchitecture",
      `this llama.cpp build cannot run models of architecture "${facts.architecture}" (${facts.path}); pick a model of a supported architecture (llama, qwen2, mistral, gemma, phi3, ...)`,
      { cause: error },
    );
  }
  if (/not within the file bounds|file bounds|truncated|unexpected end|failed to read/i.test(text)) {
    return new EngineError(
      "truncatedModel",
      `${facts.path} is truncated or damaged (${firstLine(log) ?? "llama.cpp could not read its tensors"}); pull the model again`,
      { cause: error },
    );
  }
  if (isOutOfMemory(error, text)) {
    return outOfMemory(`the model ${facts.path} (${formatBytes(facts.bytes)})`, error);
  }
  return new EngineError(
    "unsupportedArchitecture",
    `llama.cpp could not load ${facts.path}: ${firstLine(log) ?? (error as Error | undefined)?.message ?? String(error)}`,
    { cause: error },
  );
}

export function isOutOfMemory(error: unknown, text = String((error as Error | undefined)?.message ?? error)): boolean {
  return (
    (error as Error | undefined)?.name === "InsufficientMemoryError" ||
    /insufficient memory|out of memory|too large for the available (v)?ram|failed to allocate|cannot allocate|not enough (v)?ram/i.test(
      text,
    )
  );
}

export function outOfMemory(what: string, cause: unknown): EngineError {
  return new EngineError(
    "outOfMemory",
    `not enough memory for ${what}; use a smaller context size or fewer parallel sequences, offload fewer GPU layers, or pick a smaller model`,
    { cause },
  );
}

function firstLine(log: readonly string[]): string | undefined {
  return log.find((l) => l.trim() !== "")?.trim();
}
