/**
 * `LocalEngine`: the in-process engine on llama.cpp through node-llama-cpp. One model, one context
 * with N sequences, a scheduler (see `scheduler.ts`) that hands sequences to requests by priority
 * and KV-prefix affinity, prompts fed in short chunks so aborts and urgent requests never wait for a
 * whole prefill, grammar-constrained tool calls, and speculative decoding against an edit's
 * prediction.
 *
 * Every native call goes through node-llama-cpp objects created in `open()`; nothing here imports
 * node-llama-cpp at module load (see `native.ts`).
 */
import path from "node:path";
import type {
  ChatHistoryItem,
  ChatWrapper,
  Llama,
  LlamaContext,
  LlamaContextSequence,
  LlamaGrammar,
  LlamaModel,
  Token,
} from "node-llama-cpp";
import type {
  ChatMessage,
  ChatRequest,
  CompletionRequest,
  EditRequest,
  Engine,
  EngineInfo,
  FinishReason,
  GenerationOptions,
  Priority,
  StreamEvent,
  ToolDefinition,
} from "../engine.js";
import { MAX_PARALLEL_TOOL_CALLS } from "../engine.js";
import { EngineError } from "../errors.js";
import { decodeTokensPerSecond } from "../timing.js";
import type { GrammarLimits } from "./jsonSchemaGrammar.js";
import { classifyLoadFailure, formatBytes, inspectModelFile, isOutOfMemory, outOfMemory } from "./modelFile.js";
import { acquireLlama, backendName, loadNodeLlamaCpp, type NativeLogLevel, type NodeLlamaCpp } from "./native.js";
import { PlainSteps, SpeculativeSteps, type DecodeSteps, type StepResult } from "./decodeSteps.js";
import { PredictionCursor } from "./predictionCursor.js";
import { Scheduler, SchedulerBusyError, type SchedulerJob } from "./scheduler.js";
import { StepAligner, type AlignmentStats } from "./stepAligner.js";
import { defaultThreads, positiveInteger, type LocalEngineOptions } from "./settings.js";
import { OutputRouter } from "./outputRouter.js";
import { TokenTextDecoder } from "./textOutput.js";
import {
  REQUIRED_CALL_PREFIX,
  TOOL_CALL_CLOSE,
  TOOL_CALL_OPEN,
  parseToolCalls,
  toPlainTurns,
  toolCallGrammar,
} from "./toolCalls.js";

/** What the host shows about the engine (`bora/status`). */
export interface LocalEngineStatus {
  backend: "cuda" | "vulkan" | "metal" | "cpu";
  /** GPU device names; empty on CPU. */
  devices: string[];
  /** VRAM of the device(s) in bytes; undefined on CPU. */
  vram: { total: number; used: number; free: number } | undefined;
  /** Bytes of the model file and of the context's KV state. */
  memory: { modelBytes: number; contextStateBytes: number; processRssBytes: number };
  model: string;
  modelPath: string;
  architecture: string;
  gpuLayers: number;
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
  llamaCpp: string;
}

interface Job extends SchedulerJob {
  readonly priority: Priority;
  tokens: readonly number[];
  preemptRequested: boolean;
  /** Arrival order in the queue, kept when the job comes back after a preemption. */
  order?: number;
  /** Resolves the wait for a sequence. */
  grant?: (slot: number) => void;
  /** Wakes a job paused for an interactive one or waiting to be preempted. */
  wake?: () => void;
}

/** How the output is read: plain text, a required tool call, or text that may turn into a call. */
type ToolMode = { kind: "none" } | { kind: "required" | "auto"; tools: readonly ToolDefinition[]; maxCalls: number };

interface Prepared {
  tokens: number[];
  stops: string[];
  toolMode: ToolMode;
  /** Tokens of the prediction (edit only). */
  prediction?: number[];
  /** Extra tokens that end generation (FIM markers). */
  stopTokens?: number[];
}

/** The deadline or the caller's signal, as one signal and the reason it fired. */
class RequestControl {
  readonly controller = new AbortController();
  deadlineHit = false;
  private timer: NodeJS.Timeout | undefined;
  private readonly onAbort = (): void => this.controller.abort();

  constructor(
    private readonly external: AbortSignal | undefined,
    deadlineMs: number | undefined,
  ) {
    if (external?.aborted) this.controller.abort();
    else external?.addEventListener("abort", this.onAbort, { once: true });
    if (deadlineMs !== undefined) {
      this.timer = setTimeout(() => {
        this.deadlineHit = true;
        this.controller.abort();
      }, deadlineMs);
    }
  }

  get signal(): AbortSignal {
    return this.controller.signal;
  }

  get aborted(): boolean {
    return this.controller.signal.aborted;
  }

  dispose(): void {
    clearTimeout(this.timer);
    this.external?.removeEventListener("abort", this.onAbort);
  }
}

class Aborted extends Error {}

/** Resolves with `promise`, or rejects with `Aborted` as soon as `signal` fires. */
function raceAbort<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(new Aborted());
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(new Aborted());
    signal.addEventListener("abort", onAbort, { once: true });
    promise.then(
      (v) => {
        signal.removeEventListener("abort", onAbort);
        resolve(v);
      },
      (e: unknown) => {
        signal.removeEventListener("abort", onAbort);
        reject(e instanceof Error ? e : new Error(String(e)));
      },
    );
  });
}

const SEQUENCE_DEFAULT = 4;
const CONTEXT_DEFAULT = 4096;
const MIN_CHUNK = 16;

export class LocalEngine implements Engine {
  readonly info: EngineInfo;
  private readonly scheduler: Scheduler<Job>;
  /** Per slot: the native work still running after its request gave up on it (an aborted chunk). */
  private readonly inflight: (Promise<unknown> | undefined)[];
  private readonly grammars = new Map<string, Promise<LlamaGrammar>>();
  private readonly paused = new Set<Job>();
  private readonly aligner: StepAligner;
  private disposed = false;
  private chunkTokens: number;
  private callIds = 0;

  private constructor(
    private readonly nlc: NodeLlamaCpp,
    private readonly llama: Llama,
    private readonly model: LlamaModel,
    private readonly context: LlamaContext,
    private readonly sequences: LlamaContextSequence[],
    private readonly chatWrapper: ChatWrapper,
    private readonly settings: {
      modelPath: string;
      architecture: string;
      modelBytes: number;
      threads: number;
      contextSize: number;
      prefillChunkMs: number;
      defaultMaxTokens: number | undefined;
      grammarLimits: GrammarLimits | undefined;
      alignDecodeSteps: boolean;
    },
    private readonly releaseLlama: () => void,
    name: string,
    maxQueued: number,
    preempt: boolean,
  ) {
    this.scheduler = new Scheduler<Job>({ slots: sequences.length, maxQueued, preempt });
    this.aligner = new StepAligner(undefined, settings.alignDecodeSteps);
    this.inflight = sequences.map(() => undefined);
    this.chunkTokens = Math.min(64, context.batchSize);
    this.info = {
      kind: "local",
      model: name,
      contextSize: settings.contextSize,
      capabilities: {
        tools: true,
        fim: model.tokens.infill.prefix !== null && model.tokens.infill.suffix !== null,
        prediction: true,
      },
    };
  }

  /**
   * Loads the model and creates its context. Fails with a typed `EngineError` (`modelNotFound`,
   * `notGguf`, `truncatedModel`, `unsupportedArchitecture`, `outOfMemory`) and never leaves native
   * resources behind when it does.
   */
  static async open(options: LocalEngineOptions): Promise<LocalEngine> {
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
      const name = options.displayName ?? facts.name ?? path.basename(options.modelPath, ".gguf");
      return new LocalEngine(
        nlc,
        llama,
        model,
        context,
        seqs,
        chatWrapper,
        {
          modelPath: options.modelPath,
          architecture: facts.architecture,
          modelBytes: facts.bytes,
          threads,
          contextSize: context.contextSize,
          prefillChunkMs: options.prefillChunkMs ?? 100,
          defaultMaxTokens: options.defaultMaxTokens,
          grammarLimits: options.grammarLimits,
          alignDecodeSteps: options.alignDecodeSteps ?? true,
        },
        unsubscribe,
        name,
        maxQueued,
        options.preempt ?? true,
      );
    } catch (error) {
      await context?.dispose().catch(() => undefined);
      await model?.dispose().catch(() => undefined);
      unsubscribe();
      throw error;
    }
  }

  /** Backend, device, memory and load, for `bora/status`. */
  async status(): Promise<LocalEngineStatus> {
    this.assertUsable();
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
      model: this.info.model,
      modelPath: this.settings.modelPath,
      architecture: this.settings.architecture,
      gpuLayers: this.model.gpuLayers,
      threads: this.settings.threads,
      sequences: this.sequences.length,
      contextSize: this.settings.contextSize,
      running: this.scheduler.running,
      queued: this.scheduler.queued,
      batching: this.aligner.stats,
      llamaCpp: this.llama.llamaCppRelease.release,
    };
  }

  /** One line for logs: backend, model, sizes. */
  async describe(): Promise<string> {
    const s = await this.status();
    return `${s.model} (${s.architecture}, ${formatBytes(s.memory.modelBytes)}) on ${s.backend}${s.devices.length > 0 ? ` [${s.devices.join(", ")}]` : ""}, ${s.sequences}×${s.contextSize} tokens, ${s.threads} thread(s)`;
  }

  /** The model's tokens for `text`, as prompts are tokenized (no BOS, no special tokens). */
  tokenize(text: string): number[] {
    this.assertUsable();
    return this.model.tokenize(text, false, "trimLeadingSpace");
  }

  detokenize(tokens: readonly number[]): string {
    this.assertUsable();
    return this.model.detokenize(tokens as Token[], false);
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
    return this.run(request, () => {
      const tools = request.toolChoice === "none" ? [] : (request.tools ?? []);
      const toolMode: ToolMode =
        tools.length === 0
          ? { kind: "none" }
          : {
              kind: request.toolChoice === "required" ? "required" : "auto",
              tools,
              maxCalls: request.parallelToolCalls === false ? 1 : MAX_PARALLEL_TOOL_CALLS,
            };
      const rendered = this.renderChat(request.messages, tools);
      // A required call starts with text the engine can write itself (see REQUIRED_CALL_PREFIX).
      if (toolMode.kind === "required") rendered.tokens.push(...this.tokenize(REQUIRED_CALL_PREFIX));
      return { ...rendered, toolMode };
    });
  }

  edit(request: EditRequest): AsyncIterable<StreamEvent> {
    return this.run(request, () => ({
      ...this.renderChat(request.messages, []),
      toolMode: { kind: "none" },
      prediction: request.prediction === "" ? undefined : this.tokenize(request.prediction),
    }));
  }

  complete(request: CompletionRequest): AsyncIterable<StreamEvent> {
    return this.run(request, () => {
      const bos =
        this.model.tokens.bos !== null && this.model.tokens.shouldPrependBosToken ? [this.model.tokens.bos] : [];
      if (request.suffix === undefined) {
        return { tokens: [...bos, ...this.tokenize(request.prompt)], stops: [], toolMode: { kind: "none" } };
      }
      const { prefix, suffix, middle } = this.model.tokens.infill;
      if (prefix === null || suffix === null) {
        throw new EngineError(
          "noFim",
          `${this.info.model} has no fill-in-the-middle tokens, so it cannot complete between a prefix and a suffix; use a code model with FIM (e.g. a Qwen2.5-Coder or StarCoder2 GGUF) for completions`,
        );
      }
      const pre = this.tokenize(request.prompt);
      const suf = this.tokenize(request.suffix);
      // PSM order when the model has a middle token, else SPM (llama.cpp's own convention).
      const tokens =
        middle !== null ? [...bos, prefix, ...pre, suffix, ...suf, middle] : [...bos, suffix, ...suf, prefix, ...pre];
      const stopTokens = [prefix, suffix, ...(middle !== null ? [middle] : [])];
      return { tokens, stops: [], toolMode: { kind: "none" }, stopTokens };
    });
  }

  async dispose(): Promise<void> {
    if (this.disposed) return;
    this.disposed = true;
    for (const job of this.paused) job.wake?.();
    await Promise.allSettled(this.inflight.filter((p) => p !== undefined));
    await this.context.dispose().catch(() => undefined);
    await this.model.dispose().catch(() => undefined);
    this.releaseLlama();
  }

  private assertUsable(): void {
    if (this.disposed)
      throw new EngineError("disposed", "the local engine was shut down; start it again to use the model");
  }

  /** Renders a conversation with the model's chat template, ending at the start of the assistant turn. */
  private renderChat(messages: readonly ChatMessage[], tools: readonly ToolDefinition[]): Omit<Prepared, "toolMode"> {
    const history: ChatHistoryItem[] = toPlainTurns(messages, tools).map((turn) =>
      turn.role === "model"
        ? { type: "model", response: [turn.text] }
        : turn.role === "system"
          ? { type: "system", text: turn.text }
          : { type: "user", text: turn.text },
    );
    history.push({ type: "model", response: [] });
    const state = this.chatWrapper.generateContextState({ chatHistory: history });
    const tokens = state.contextText.tokenize(this.model.tokenizer);
    // Stop triggers that are plain text; special-token triggers end generation as EOG tokens already.
    const stops = state.stopGenerationTriggers
      .filter((t) => t.values.every((v) => typeof v === "string"))
      .map((t) => t.values.join(""))
      .filter((s) => s !== "");
    return { tokens, stops };
  }

  private grammar(text: string): Promise<LlamaGrammar> {
    let grammar = this.grammars.get(text);
    if (grammar === undefined) {
      grammar = this.llama.createGrammar({ grammar: text });
      this.grammars.set(text, grammar);
      grammar.catch(() => this.grammars.delete(text));
      if (this.grammars.size > 64) this.grammars.delete(this.grammars.keys().next().value as string);
    }
    return grammar;
  }

  /** Starts queued requests on free sequences and asks lower-priority ones to make room. */
  private pump(): void {
    for (const assignment of this.scheduler.assign()) assignment.job.grant?.(assignment.slot);
    for (const victim of this.scheduler.preemptions()) {
      victim.preemptRequested = true;
      victim.wake?.();
    }
    for (const job of [...this.paused]) if (!this.scheduler.shouldYield(job)) job.wake?.();
  }

  /** Gives a slot back once any native work on it has finished. */
  private release(slot: number, job: Job): void {
    const sequence = this.sequences[slot] as LlamaContextSequence;
    const done = (): void => {
      this.inflight[slot] = undefined;
      this.paused.delete(job);
      this.scheduler.release(slot, this.disposed ? [] : sequence.contextTokens.slice());
      this.pump();
    };
    const pending = this.inflight[slot];
    if (pending === undefined) done();
    else void pending.then(done, done);
  }

  private waitForSlot(job: Job, signal: AbortSignal): Promise<number> {
    return new Promise<number>((resolve, reject) => {
      const onAbort = (): void => {
        if (this.scheduler.withdraw(job)) reject(new Aborted());
      };
      job.grant = (slot) => {
        signal.removeEventListener("abort", onAbort);
        job.grant = undefined;
        resolve(slot);
      };
      signal.addEventListener("abort", onAbort, { once: true });
      this.pump();
    });
  }

  /** Waits while an interactive request runs. */
  private async yieldWhileUrgent(job: Job, signal: AbortSignal): Promise<void> {
    while (this.scheduler.shouldYield(job) && !job.preemptRequested && !signal.aborted && !this.disposed) {
      this.paused.add(job);
      await new Promise<void>((resolve) => {
        const done = (): void => {
          signal.removeEventListener("abort", done);
          job.wake = undefined;
          resolve();
        };
        job.wake = done;
        signal.addEventListener("abort", done, { once: true });
      });
      this.paused.delete(job);
    }
  }

  /**
   * The one generation loop behind chat, complete and edit. Yields text (or a tool call) as it is
   * produced and ends with one `done` event; aborts end the stream with `finishReason: "aborted"`.
   */
  private async *run(options: GenerationOptions, prepare: () => Prepared): AsyncGenerator<StreamEvent> {
    const started = performance.now();
    this.assertUsable();
    const prepared = prepare();
    const { tokens: promptTokens } = prepared;
    const contextSize = this.settings.contextSize;
    if (promptTokens.length === 0)
      throw new RangeError("the prompt is empty and the model has no BOS token to start from");
    if (promptTokens.length >= contextSize) {
      throw new EngineError(
        "contextOverflow",
        `the prompt takes ${promptTokens.length} tokens but a sequence holds ${contextSize}; shorten the conversation or raise the context size setting`,
      );
    }
    const room = contextSize - promptTokens.length;
    const maxTokens = Math.min(options.maxTokens ?? this.settings.defaultMaxTokens ?? room, room);
    const grammarText =
      prepared.toolMode.kind === "none"
        ? undefined
        : {
            required: toolCallGrammar(prepared.toolMode.tools, {
              start: "name",
              limits: this.settings.grammarLimits,
              maxCalls: prepared.toolMode.maxCalls,
            }),
            afterOpen: toolCallGrammar(prepared.toolMode.tools, {
              start: "open",
              limits: this.settings.grammarLimits,
              maxCalls: prepared.toolMode.maxCalls,
            }),
          };
    const job: Job = { priority: options.priority ?? "chat", tokens: promptTokens, preemptRequested: false };
    try {
      for (const displaced of this.scheduler.enqueue(job)) displaced.grant?.(-1);
      job.order = this.scheduler.orderOf(job);
    } catch (error) {
      if (error instanceof SchedulerBusyError) {
        throw new EngineError("busy", `the local model is busy: ${error.message}; try again shortly`);
      }
      throw error;
    }

    const control = new RequestControl(options.signal, options.deadlineMs);
    const generated: number[] = [];
    const decoder = new TokenTextDecoder((t, context) =>
      this.model.detokenize(t as Token[], false, context as Token[]),
    );
    const stopTokens = new Set(prepared.stopTokens ?? []);
    let cachedPromptTokens: number | undefined;
    let firstTokenAt: number | undefined;
    let lastTokenAt: number | undefined;
    let accepted = 0;
    let finish: FinishReason | undefined;
    const router = new OutputRouter(prepared.toolMode.kind, [...prepared.stops, ...(options.stop ?? [])]);
    let grammarPhase: "required" | "afterOpen" | undefined =
      prepared.toolMode.kind === "required" ? "required" : undefined;
    const out: StreamEvent[] = [];
    const emitText = (text: string): void => {
      const visible = router.push(text);
      if (visible !== "") out.push({ type: "text", text: visible });
      // The model opened a tool call on its own: the rest of it is written under the call grammar.
      // (If the token that completed `<tool_call>` already went past it, the call stays unconstrained
      // and is checked when it ends.)
      if (router.mode === "call" && grammarPhase === undefined && router.callText === TOOL_CALL_OPEN) {
        grammarPhase = "afterOpen";
      }
    };

    let slot: number | undefined;
    try {
      while (finish === undefined) {
        // Wait for a sequence (again, after a preemption).
        job.tokens = [...promptTokens, ...generated];
        if (slot === undefined) {
          try {
            const granted = await this.waitForSlot(job, control.signal);
            if (granted < 0)
              throw new EngineError("busy", "the local model is busy with more urgent requests; try again shortly");
            slot = granted;
          } catch (error) {
            if (error instanceof Aborted) break;
            throw error;
          }
        }
        // The previous pass on this sequence (before a grammar switch) must have closed its iterator.
        await this.inflight[slot];
        this.inflight[slot] = undefined;
        const sequence = this.sequences[slot] as LlamaContextSequence;
        job.preemptRequested = false;

        // Prefill: keep the shared prefix, feed the rest in chunks, leave the last token for generation.
        const target = job.tokens;
        let shared = Math.min(sequence.compareContextTokens(target as Token[]).firstDifferentIndex, target.length - 1);
        if (sequence.nextTokenIndex > shared) {
          await sequence.eraseContextTokenRanges([{ start: shared, end: sequence.nextTokenIndex }]);
        }
        cachedPromptTokens ??= Math.min(shared, promptTokens.length);
        let preempted = false;
        // A tail that fits in one chunk goes straight into the first decode step, which saves a
        // batch on every follow-up turn; longer prompts are fed in chunks first.
        while (target.length - 1 - shared > this.chunkTokens) {
          if (this.scheduler.shouldYield(job)) await this.yieldWhileUrgent(job, control.signal);
          if (control.aborted) break;
          if (job.preemptRequested) {
            preempted = true;
            break;
          }
          const n = Math.min(this.chunkTokens, target.length - 1 - shared);
          const chunkStart = performance.now();
          const work = sequence.evaluateWithoutGeneratingNewTokens(target.slice(shared, shared + n) as Token[]);
          this.inflight[slot] = work;
          try {
            await raceAbort(work, control.signal);
          } catch (error) {
            if (error instanceof Aborted) break;
            throw error;
          }
          this.inflight[slot] = undefined;
          shared += n;
          this.adaptChunk(n, performance.now() - chunkStart);
        }
        if (control.aborted) break;
        if (preempted) {
          this.release(slot, job);
          slot = undefined;
          this.scheduler.enqueue(job, job.order ?? 0);
          continue;
        }

        // Generation.
        const phase: "required" | "afterOpen" | undefined = grammarPhase;
        const grammarState =
          phase === undefined || grammarText === undefined
            ? undefined
            : new this.nlc.LlamaGrammarEvaluationState({
                model: this.model,
                grammar: await this.grammar(grammarText[phase]),
              });
        const input = target.slice(shared);
        const temperature = options.temperature ?? 0;
        // Speculation only where it cannot change the output: greedy, unconstrained, with a prediction.
        const steps: DecodeSteps =
          prepared.prediction !== undefined && temperature === 0 && grammarState === undefined
            ? new SpeculativeSteps(sequence, input, this.cursorFor(prepared.prediction, generated), (t) =>
                this.model.isEogToken(t as Token),
              )
            : new PlainSteps(sequence, input, {
                temperature,
                seed: options.seed ?? 1,
                grammarEvaluationState: grammarState,
              });
        let switchGrammar = false;
        const member = this.aligner.join();
        try {
          for (;;) {
            if (this.scheduler.shouldYield(job)) {
              member.leave();
              await this.yieldWhileUrgent(job, control.signal);
            }
            if (control.aborted) break;
            if (job.preemptRequested) {
              preempted = true;
              break;
            }
            let result: StepResult;
            try {
              await raceAbort(member.ready(), control.signal);
              const room = Math.min(maxTokens - generated.length, contextSize - 1 - sequence.nextTokenIndex);
              const step = steps.step(Math.max(1, room));
              this.inflight[slot] = step;
              try {
                result = await raceAbort(step, control.signal);
              } finally {
                member.stepped();
              }
            } catch (error) {
              if (error instanceof Aborted) break;
              throw error;
            }
            this.inflight[slot] = undefined;
            accepted += result.accepted;
            const now = performance.now();
            if (result.tokens.length > 0) {
              firstTokenAt ??= now;
              lastTokenAt = now;
            }
            for (const token of result.tokens) {
              if (stopTokens.has(token)) {
                finish = "stop";
                break;
              }
              generated.push(token);
              emitText(decoder.push(token));
              if (router.stopped) finish = "stop";
              else if (generated.length >= maxTokens) finish = "length";
              if (grammarPhase !== phase) switchGrammar = true;
              if (finish !== undefined || switchGrammar) break;
            }
            if (finish === undefined && result.finished) finish = "stop";
            if (finish === undefined && sequence.nextTokenIndex >= contextSize - 1) finish = "length";
            for (const event of out.splice(0)) yield event;
            if (finish !== undefined || switchGrammar) break;
          }
        } finally {
          member.leave();
          const pending = this.inflight[slot];
          const close = (): Promise<unknown> => steps.close().catch(() => undefined);
          // An aborted step is still running natively: close the steps when it is done.
          this.inflight[slot] = pending === undefined ? close() : pending.then(close, close);
        }
        if (control.aborted) break;
        if (preempted) {
          this.release(slot, job);
          slot = undefined;
          this.scheduler.enqueue(job, job.order ?? 0);
        }
      }

      if (slot !== undefined && !control.aborted) {
        // Free the sequence before the caller sees `done`, so that its next request (a follow-up
        // turn) finds this sequence's cache free and reuses it.
        await this.inflight[slot];
        this.inflight[slot] = undefined;
        this.release(slot, job);
        slot = undefined;
      }
      if (control.deadlineHit) {
        throw new EngineError(
          "deadline",
          `the request ran past its deadline of ${options.deadlineMs} ms; raise the deadline or ask for less output`,
        );
      }
      if (control.aborted) finish = "aborted";
      emitText(decoder.flush());
      const rest = router.end();
      if (rest !== "") out.push({ type: "text", text: rest });
      for (const event of out.splice(0)) yield event;
      if (router.mode === "call" && prepared.toolMode.kind !== "none" && finish !== "aborted") {
        let callText = router.callText;
        // The required-call grammar ends at the closing brace; the model then ended the turn.
        if (prepared.toolMode.kind === "required" && finish === "stop") callText += TOOL_CALL_CLOSE;
        for (const parsed of parseToolCalls(callText, prepared.toolMode.tools)) {
          const id = `call_${++this.callIds}`;
          if (parsed.complete && parsed.ok) {
            yield { type: "toolCall", call: { id, name: parsed.name, arguments: parsed.arguments } };
            finish = "toolCalls";
          } else {
            const message = !parsed.complete
              ? "the tool call was cut off by maxTokens"
              : parsed.ok
                ? ""
                : parsed.message;
            yield { type: "toolCallError", id, name: parsed.name, rawArguments: parsed.text, message };
          }
        }
      }
      const end = performance.now();
      const first = firstTokenAt ?? end;
      const last = lastTokenAt ?? end;
      yield {
        type: "done",
        finishReason: finish ?? "aborted",
        usage: {
          promptTokens: promptTokens.length,
          completionTokens: generated.length,
          cachedPromptTokens: cachedPromptTokens ?? 0,
          ...(prepared.prediction !== undefined ? { acceptedPredictionTokens: accepted } : {}),
        },
        timing: {
          ttftMs: first - started,
          totalMs: end - started,
          tokensPerSecond: decodeTokensPerSecond(generated.length, first, last),
        },
      };
    } catch (error) {
      if (error instanceof EngineError) throw error;
      if (this.disposed) {
        throw new EngineError("disposed", "the local engine was shut down while this request ran", { cause: error });
      }
      if (isOutOfMemory(error)) throw outOfMemory("this request's batch", error);
      throw error;
    } finally {
      control.dispose();
      if (slot !== undefined) this.release(slot, job);
      else if (this.scheduler.withdraw(job)) this.pump();
    }
  }

  /** A cursor over the prediction, in step with what the request has generated so far. */
  private cursorFor(prediction: readonly number[], generated: readonly number[]): PredictionCursor {
    const cursor = new PredictionCursor(prediction);
    cursor.push(generated);
    return cursor;
  }

  /** Sizes the next prompt chunk so that it takes about `prefillChunkMs`. */
  private adaptChunk(tokens: number, ms: number): void {
    if (tokens < this.chunkTokens || ms <= 0) return;
    const ideal = Math.round((tokens / ms) * this.settings.prefillChunkMs);
    this.chunkTokens = Math.max(MIN_CHUNK, Math.min(this.context.batchSize, ideal));
  }
}
