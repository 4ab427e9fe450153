/**
 * `LocalEngine`: the in-process engine on llama.cpp through node-llama-cpp. One model, one context
 * with N sequences, requests scheduled by priority and KV-prefix affinity, prompts fed in short
 * chunks so that aborts and urgent requests never wait for a whole prefill, grammar-constrained
 * tool calls, and speculative decoding against an edit's prediction.
 *
 * This class is the facade: it holds the parts and delegates each job to the module named after it.
 * - `LoadedModel.ts`: opening the model, its context and sequences (and freeing them);
 * - `PromptBuilder.ts`: preparing the prompt (chat template, tools, FIM layout, grammars);
 * - `SequencePool.ts`: handing sequences to requests (the policy is `scheduler.ts`), preemption;
 * - `GenerationLoop.ts`: prefill, decode and finish of each request, with `GenerationOutput.ts`
 *   for what the caller sees of it.
 *
 * Every native call goes through node-llama-cpp objects created in `LoadedModel.open()`; nothing
 * here imports node-llama-cpp at module load (see `native.ts`).
 */
import type { Token } from "node-llama-cpp";
import type {
  ChatRequest,
  CompletionRequest,
  EditRequest,
  Engine,
  EngineInfo,
  GenerationOptions,
  StreamEvent,
} from "../engine.js";
import { EngineError } from "../errors.js";
import { GenerationLoop } from "./GenerationLoop.js";
import { LoadedModel, type HardwareStatus } from "./LoadedModel.js";
import { formatBytes } from "../formatBytes.js";
import { PromptBuilder, type PreparedPrompt } from "./PromptBuilder.js";
import { SequencePool } from "./SequencePool.js";
import { StepAligner, type AlignmentState, type AlignmentStats } from "./stepAligner.js";
import type { LocalEngineOptions } from "./settings.js";

/** What the host shows about the engine (`bora/status`): the hardware side, and the model and its load. */
export interface LocalEngineStatus extends HardwareStatus {
  model: string;
  modelPath: string;
  architecture: string;
  threads: number;
  sequences: number;
  /** Tokens per sequence. */
  contextSize: number;
  running: number;
  queued: number;
  /**
   * Decode steps of generating sequences released together since the engine opened:
   * `steps / groups` is the mean batch width they got (see `stepAligner.ts`).
   */
  batching: AlignmentStats;
  /** Whether those steps are lined up now, and what the measured choice found (see `alignmentPolicy.ts`). */
  alignment: AlignmentState;
}

export class LocalEngine implements Engine {
  readonly info: EngineInfo;
  private readonly prompts: PromptBuilder;
  private readonly pool: SequencePool;
  private readonly aligner: StepAligner;
  private readonly loop: GenerationLoop;
  private disposed = false;

  private constructor(private readonly loaded: LoadedModel) {
    const { settings, sequences } = loaded;
    this.prompts = new PromptBuilder(loaded.llama, loaded.model, loaded.chatWrapper, settings.name);
    this.pool = new SequencePool({
      slots: sequences.length,
      maxQueued: settings.maxQueued,
      preempt: settings.preempt,
      cachedTokens: (slot) => (sequences[slot]?.contextTokens ?? []).slice(),
    });
    this.aligner = new StepAligner(undefined, settings.alignDecodeSteps);
    this.loop = new GenerationLoop(loaded, this.prompts, this.pool, this.aligner);
    this.info = {
      kind: "local",
      model: settings.name,
      contextSize: settings.contextSize,
      capabilities: { tools: true, fim: loaded.fim, prediction: true },
    };
  }

  /**
   * Loads the model and creates its context. Fails with a typed `EngineError` (`modelNotFound`,
   * `notGguf`, `truncatedModel`, `unsupportedArchitecture`, `outOfMemory`) and never leaves native
   * resources behind when it does.
   */
  static async open(options: LocalEngineOptions): Promise<LocalEngine> {
    return new LocalEngine(await LoadedModel.open(options));
  }

  /** Backend, device, memory and load, for `bora/status`. */
  async status(): Promise<LocalEngineStatus> {
    this.assertUsable();
    const { settings } = this.loaded;
    const hardware = await this.loaded.hardware();
    return {
      backend: hardware.backend,
      devices: hardware.devices,
      vram: hardware.vram,
      memory: hardware.memory,
      model: this.info.model,
      modelPath: settings.modelPath,
      architecture: settings.architecture,
      gpuLayers: hardware.gpuLayers,
      threads: settings.threads,
      sequences: this.loaded.sequences.length,
      contextSize: settings.contextSize,
      running: this.pool.running,
      queued: this.pool.queued,
      batching: this.aligner.stats,
      alignment: this.aligner.state,
      llamaCpp: hardware.llamaCpp,
    };
  }

  /**
   * Forces the step aligner's mode (`true` lined up, `false` not) or returns it to the engine's
   * setting (`undefined`). Not part of `Engine`: a benchmark's tool, to compare the fixed modes
   * with the measured choice on one engine instance (see `StepAligner.force`).
   */
  forceAlignment(mode: boolean | undefined): void {
    this.assertUsable();
    this.aligner.force(mode);
  }

  /** One line for logs: backend, model, sizes. */
  async describe(): Promise<string> {
    const s = await this.status();
    return `${s.model} (${s.architecture}, ${formatBytes(s.memory.modelBytes)}) on ${s.backend}${s.devices.length > 0 ? ` [${s.devices.join(", ")}]` : ""}, ${s.sequences}×${s.contextSize} tokens, ${s.threads} thread(s)`;
  }

  /** The model's tokens for `text`, as prompts are tokenized (no BOS, no special tokens). */
  tokenize(text: string): number[] {
    this.assertUsable();
    return this.prompts.tokenize(text);
  }

  detokenize(tokens: readonly number[]): string {
    this.assertUsable();
    return this.loaded.model.detokenize(tokens as Token[], false);
  }

  countTokens(text: string, signal?: AbortSignal): Promise<number> {
    if (signal?.aborted) return Promise.reject(new EngineError("aborted", "token count aborted"));
    try {
      return Promise.resolve(this.tokenize(text).length);
    } catch (error) {
      return Promise.reject(error instanceof Error ? error : new Error(String(error)));
    }
  }

  chat(request: ChatRequest): AsyncIterable<StreamEvent> {
    return this.run(request, () => this.prompts.chat(request));
  }

  edit(request: EditRequest): AsyncIterable<StreamEvent> {
    return this.run(request, () => this.prompts.edit(request));
  }

  complete(request: CompletionRequest): AsyncIterable<StreamEvent> {
    return this.run(request, () => this.prompts.complete(request));
  }

  async dispose(): Promise<void> {
    if (this.disposed) return;
    this.disposed = true;
    await this.pool.close();
    await this.loaded.close();
  }

  private assertUsable(): void {
    if (this.disposed)
      throw new EngineError("disposed", "the local engine was shut down; start it again to use the model");
  }

  /** Every request goes through the one generation loop; the prompt is prepared when the stream is first read. */
  private run(options: GenerationOptions, prepare: () => PreparedPrompt): AsyncIterable<StreamEvent> {
    return this.loop.run(options, () => {
      this.assertUsable();
      return prepare();
    });
  }
}
