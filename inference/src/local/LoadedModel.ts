/**
 * Opening the local model: the process's `Llama`, the model file, one context with N sequences and
 * the model's chat wrapper, created together and freed together. It is its own module because it is
 * the only part of the engine that creates or frees native resources, and the only one that turns
 * load failures into typed `EngineError`s (`modelNotFound`, `notGguf`, `truncatedModel`,
 * `unsupportedArchitecture`, `outOfMemory`); the rest of the engine receives what it opened.
 */
import path from "node:path";
import type { ChatWrapper, Llama, LlamaContext, LlamaContextSequence, LlamaModel } from "node-llama-cpp";
import type { GrammarLimits } from "./jsonSchemaGrammar.js";
import { classifyLoadFailure, inspectModelFile, isOutOfMemory, outOfMemory } from "./modelFile.js";
import { acquireLlama, backendName, loadNodeLlamaCpp, type NativeLogLevel, type NodeLlamaCpp } from "./native.js";
import { defaultThreads, positiveInteger, type LocalEngineOptions } from "./settings.js";
import type { AlignChoice } from "./stepAligner.js";

const SEQUENCE_DEFAULT = 4;
const CONTEXT_DEFAULT = 4096;

/** The options as resolved at load time: every default applied, every value checked. */
export interface LoadedSettings {
  /** Display name of the model. */
  name: string;
  modelPath: string;
  architecture: string;
  modelBytes: number;
  threads: number;
  /** Tokens per sequence, as the context got it. */
  contextSize: number;
  maxQueued: number;
  preempt: boolean;
  prefillChunkMs: number;
  defaultMaxTokens: number | undefined;
  grammarLimits: GrammarLimits | undefined;
  alignDecodeSteps: AlignChoice;
}

/** The hardware side of `bora/status`: backend, devices, memory. */
export interface HardwareStatus {
  backend: "cuda" | "vulkan" | "metal" | "cpu";
  /** GPU device names; empty on CPU. */
  devices: string[];
  /** VRAM of the device(s) in bytes; undefined on CPU. */
  vram: { total: number; used: number; free: number } | undefined;
  /** Bytes of the model file and of the context's KV state. */
  memory: { modelBytes: number; contextStateBytes: number; processRssBytes: number };
  /** Layers of the model on the GPU. */
  gpuLayers: number;
  /** The llama.cpp release of the native binary. */
  llamaCpp: string;
}

export class LoadedModel {
  private constructor(
    readonly nlc: NodeLlamaCpp,
    readonly llama: Llama,
    readonly model: LlamaModel,
    readonly context: LlamaContext,
    readonly sequences: readonly LlamaContextSequence[],
    readonly chatWrapper: ChatWrapper,
    readonly settings: LoadedSettings,
    private readonly releaseLlama: () => void,
  ) {}

  /**
   * Loads the model and creates its context. Fails with a typed `EngineError` and never leaves
   * native resources behind when it does.
   */
  static async open(options: LocalEngineOptions): Promise<LoadedModel> {
    const sequences = positiveInteger("sequences", options.sequences, SEQUENCE_DEFAULT);
    const requestedContext = positiveInteger("contextSize", options.contextSize, CONTEXT_DEFAULT);
    const batchSize = positiveInteger("batchSize", options.batchSize, 512);
    const maxQueued = positiveInteger("maxQueued", options.maxQueued, 64);
    const facts = await inspectModelFile(options.modelPath);
    const nlc = await loadNodeLlamaCpp();
    const loadLog: string[] = [];
    const userLog = options.log;
    const { llama, unsubscribe } = await acquireLlama(options.gpu ?? "auto", (level: NativeLogLevel, message) => {
      if (level === "error" || level === "warn") loadLog.push(message);
      userLog?.(level, message);
    });
    let model: LlamaModel | undefined;
    let context: LlamaContext | undefined;
    try {
      try {
        model = await llama.loadModel({ modelPath: options.modelPath, gpuLayers: options.gpuLayers ?? "auto" });
      } catch (error) {
        throw classifyLoadFailure(error, facts, loadLog);
      }
      const onGpu = llama.gpu !== false && model.gpuLayers > 0;
      const threads = options.threads ?? defaultThreads(facts.bytes, llama.cpuMathCores, onGpu);
      positiveInteger("threads", threads, 1);
      // The default stays within what the model was trained on; an explicit setting is honoured.
      const contextSize = options.contextSize ?? Math.min(requestedContext, model.trainContextSize || requestedContext);
      try {
        context = await model.createContext({
          contextSize,
          sequences,
          threads,
          batchSize,
          // Report a context that does not fit instead of silently shrinking it.
          failedCreationRemedy: false,
        });
      } catch (error) {
        if (isOutOfMemory(error)) {
          throw outOfMemory(`a context of ${contextSize} tokens × ${sequences} sequences on ${facts.path}`, error);
        }
        throw error;
      }
      const seqs = Array.from({ length: sequences }, () => (context as LlamaContext).getSequence());
      const chatWrapper = nlc.resolveChatWrapper(model, { warningLogs: false });
      return new LoadedModel(
        nlc,
        llama,
        model,
        context,
        seqs,
        chatWrapper,
        {
          name: options.displayName ?? facts.name ?? path.basename(options.modelPath, ".gguf"),
          modelPath: options.modelPath,
          architecture: facts.architecture,
          modelBytes: facts.bytes,
          threads,
          contextSize: context.contextSize,
          maxQueued,
          preempt: options.preempt ?? true,
          prefillChunkMs: options.prefillChunkMs ?? 100,
          defaultMaxTokens: options.defaultMaxTokens,
          grammarLimits: options.grammarLimits,
          alignDecodeSteps: options.alignDecodeSteps ?? "measured",
        },
        unsubscribe,
      );
    } catch (error) {
      await context?.dispose().catch(() => undefined);
      await model?.dispose().catch(() => undefined);
      unsubscribe();
      throw error;
    }
  }

  /** Whether the model has the tokens fill-in-the-middle needs. */
  get fim(): boolean {
    return this.model.tokens.infill.prefix !== null && this.model.tokens.infill.suffix !== null;
  }

  /** Backend, devices and memory, as they are now. */
  async hardware(): Promise<HardwareStatus> {
    const backend = backendName(this.llama.gpu);
    const onGpu = backend !== "cpu";
    return {
      backend,
      devices: onGpu ? await this.llama.getGpuDeviceNames() : [],
      vram: onGpu ? await this.llama.getVramState() : undefined,
      memory: {
        modelBytes: this.model.size,
        contextStateBytes: this.context.stateSize,
        processRssBytes: process.memoryUsage.rss(),
      },
      gpuLayers: this.model.gpuLayers,
      llamaCpp: this.llama.llamaCppRelease.release,
    };
  }

  /** Frees the context and the model; the caller has let every native call on them finish first. */
  async close(): Promise<void> {
    await this.context.dispose().catch(() => undefined);
    await this.model.dispose().catch(() => undefined);
    this.releaseLlama();
  }
}
