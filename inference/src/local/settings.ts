/** Settings of the local engine, and the defaults that depend on the machine and the model. */
import type { GrammarLimits } from "./jsonSchemaGrammar.js";
import type { GpuSetting, NativeLogListener } from "./native.js";
import type { AlignChoice } from "./stepAligner.js";

export interface LocalEngineOptions {
  /** Path of the GGUF model file. */
  modelPath: string;
  /**
   * Tokens of context per sequence (prompt plus output of one request); an explicit value is used
   * as given, even past the model's training context. Defaults to 4096, or the training context
   * when that is smaller.
   */
  contextSize?: number;
  /** Requests that run at the same time, each on its own sequence of one shared context. Defaults to 4. */
  sequences?: number;
  /**
   * CPU threads for evaluation. On CPU, models under 64 MiB run fastest on one thread (ggml wakes a
   * second thread per graph, which costs more than such a model's work); larger ones use every math
   * core. Defaults to 1 for tiny models, else the number of math cores.
   */
  threads?: number;
  /** Layers offloaded to the GPU: a number, `max`, or `auto` (as many as fit). Ignored on CPU. Defaults to `auto`. */
  gpuLayers?: number | "auto" | "max";
  /** Backend: `auto` picks CUDA, Vulkan or Metal when a prebuilt binary loads, else CPU. Defaults to `auto`. */
  gpu?: GpuSetting;
  /** Tokens per `llama_decode` batch. Defaults to 512. */
  batchSize?: number;
  /** Most requests waiting for a sequence before new ones are refused as busy. Defaults to 64. */
  maxQueued?: number;
  /** Whether a more urgent request may suspend a running one when every sequence is taken. Defaults to true. */
  preempt?: boolean;
  /**
   * Milliseconds one prompt chunk should take; prompts are fed in chunks of about this duration so
   * that an abort or an interactive request waits at most one chunk. Defaults to 100.
   */
  prefillChunkMs?: number;
  /**
   * Whether generating sequences wait for each other so that their decode steps share one batch
   * (see `stepAligner.ts`): `"measured"` does so where it measures cheaper on this machine and load
   * (see `alignmentPolicy.ts`); `true` and `false` force it on or off, to measure what each costs.
   * Defaults to `"measured"`.
   */
  alignDecodeSteps?: AlignChoice;
  /** Most tokens generated when a request sets no `maxTokens`. Defaults to the rest of the context. */
  defaultMaxTokens?: number;
  /** Bounds for grammar-constrained tool calls, where a tool's schema sets none. Defaults to the grammar's own limits. */
  grammarLimits?: GrammarLimits;
  /** Display name of the model. Defaults to the GGUF's `general.name`, else the file name. */
  displayName?: string;
  /** Receives llama.cpp's warnings and errors. Defaults to dropping them. */
  log?: NativeLogListener;
}

/** Files below this size are "tiny" for the threads default. */
export const TINY_MODEL_BYTES = 64 * 2 ** 20;

/** The threads default: see `LocalEngineOptions.threads`. */
export function defaultThreads(modelBytes: number, mathCores: number, onGpu: boolean): number {
  const cores = Math.max(1, Math.floor(mathCores));
  if (onGpu) return cores;
  return modelBytes < TINY_MODEL_BYTES ? 1 : cores;
}

/** Integer setting check: bad values are refused with the setting's name, not silently clamped. */
export function positiveInteger(name: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (!Number.isInteger(value) || value < 1) throw new RangeError(`${name} must be a positive integer, got ${value}`);
  return value;
}
