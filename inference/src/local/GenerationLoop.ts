/**
 * The one generation loop behind chat, complete and edit. For each request: wait for a sequence
 * from the pool, keep the part of the prompt its KV cache already holds, feed the rest in short
 * chunks (see `chunkSizer.ts`), then decode step by step — plain or speculative against an edit's
 * prediction (see `decodeSteps.ts`), each step lined up with the other generating sequences (see
 * `stepAligner.ts`) — until the output ends it (see `GenerationOutput.ts`). Between any two chunks
 * or steps the request can stop (its caller's abort or its deadline, see `requestControl.ts`),
 * pause for an interactive request, give its sequence up to a preemption and later resume where it
 * stopped, or switch to the tool-call grammar.
 *
 * It is its own module because it is the only part that drives native sequences request by
 * request; what the prompt is, who gets a sequence and what the output means are decided elsewhere.
 */
import type { LlamaContextSequence, LlamaGrammarEvaluationState, Token } from "node-llama-cpp";
import type { GenerationOptions, StreamEvent } from "../engine.js";
import { EngineError } from "../errors.js";
import { RequestControl, RequestStopped } from "../requestControl.js";
import { ChunkSizer } from "./chunkSizer.js";
import { PlainSteps, SpeculativeSteps, type DecodeSteps, type StepResult } from "./decodeSteps.js";
import { GenerationOutput } from "./GenerationOutput.js";
import type { LoadedModel } from "./LoadedModel.js";
import { isOutOfMemory, outOfMemory } from "./modelFile.js";
import { PredictionCursor } from "./predictionCursor.js";
import { DraftPolicy } from "./draftPolicy.js";
import {
  outputBudget,
  toolGrammars,
  type PreparedPrompt,
  type PromptBuilder,
  type ToolGrammars,
} from "./PromptBuilder.js";
import type { PoolJob, SequencePool } from "./SequencePool.js";
import type { StepAligner } from "./stepAligner.js";

/** One request while it runs. */
interface Turn {
  readonly options: GenerationOptions;
  readonly prepared: PreparedPrompt;
  readonly grammars: ToolGrammars | undefined;
  readonly maxTokens: number;
  readonly job: PoolJob;
  readonly control: RequestControl;
  readonly output: GenerationOutput;
}

export class GenerationLoop {
  private readonly chunks: ChunkSizer;
  private callIds = 0;

  constructor(
    private readonly loaded: LoadedModel,
    private readonly prompts: PromptBuilder,
    private readonly pool: SequencePool,
    private readonly aligner: StepAligner,
  ) {
    this.chunks = new ChunkSizer(loaded.context.batchSize, loaded.settings.prefillChunkMs);
  }

  /**
   * Runs one request. Yields text (or tool calls) as it is produced and ends with one `done`
   * event; a caller's abort ends the stream with `finishReason: "aborted"`, a deadline fails it.
   * `prepare` runs when the stream is first read.
   */
  async *run(options: GenerationOptions, prepare: () => PreparedPrompt): AsyncGenerator<StreamEvent> {
    const started = performance.now();
    const prepared = prepare();
    const { contextSize, defaultMaxTokens, grammarLimits } = this.loaded.settings;
    const promptTokens = prepared.tokens;
    const maxTokens = outputBudget(promptTokens.length, contextSize, options.maxTokens, defaultMaxTokens);
    const grammars = toolGrammars(prepared.toolMode, grammarLimits);
    const job = this.pool.join(options.priority ?? "chat", promptTokens);
    const control = new RequestControl(options.signal, options.deadlineMs);
    const model = this.loaded.model;
    const output = new GenerationOutput({
      toolMode: prepared.toolMode,
      stops: [...prepared.stops, ...(options.stop ?? [])],
      stopTokens: prepared.stopTokens ?? [],
      maxTokens,
      detokenize: (tokens, context) => model.detokenize(tokens as Token[], false, context as Token[]),
      nextCallId: () => `call_${++this.callIds}`,
    });
    const turn: Turn = { options, prepared, grammars, maxTokens, job, control, output };
    let cachedPromptTokens: number | undefined;
    let slot: number | undefined;
    try {
      while (output.finish === undefined) {
        // Wait for a sequence (again, after a preemption).
        job.tokens = [...promptTokens, ...output.generated];
        if (slot === undefined) {
          try {
            slot = await this.pool.acquire(job, control.signal);
          } catch (error) {
            if (error instanceof RequestStopped) break;
            throw error;
          }
        }
        // The previous pass on this sequence (before a grammar switch) must have closed its iterator.
        await this.pool.settle(slot);
        const sequence = this.loaded.sequences[slot] as LlamaContextSequence;
        job.preemptRequested = false;
        const target = job.tokens;
        const shared = await keepSharedPrefix(sequence, target);
        cachedPromptTokens ??= Math.min(shared, promptTokens.length);
        const fed = await this.prefill(turn, slot, sequence, target, shared);
        if (control.stopped) break;
        if (fed !== "preempted") {
          const preempted = yield* this.decode(turn, slot, sequence, target.slice(fed));
          if (control.stopped) break;
          if (!preempted) continue;
        }
        this.pool.requeue(slot, job);
        slot = undefined;
      }

      if (slot !== undefined && !control.stopped) {
        // Free the sequence before the caller sees `done`, so that its next request (a follow-up
        // turn) finds this sequence's cache free and reuses it.
        await this.pool.settle(slot);
        this.pool.release(slot, job);
        slot = undefined;
      }
      control.throwIfPastDeadline();
      for (const event of output.end(control.stopped)) yield event;
      yield output.done(started, performance.now(), {
        promptTokens: promptTokens.length,
        cachedPromptTokens: cachedPromptTokens ?? 0,
        predicted: prepared.prediction !== undefined,
      });
    } catch (error) {
      if (error instanceof EngineError) throw error;
      if (this.pool.closed) {
        throw new EngineError("disposed", "the local engine was shut down while this request ran", { cause: error });
      }
      if (isOutOfMemory(error)) throw outOfMemory("this request's batch", error);
      throw error;
    } finally {
      control.dispose();
      if (slot !== undefined) this.pool.release(slot, job);
      else this.pool.leave(job);
    }
  }

  /**
   * Feeds the prompt after `shared` in chunks, leaving at least the last token for the first decode
   * step. Returns how many tokens of `target` the sequence now holds, or "preempted". Returns early
   * when the request stops; the caller checks.
   */
  private async prefill(
    turn: Turn,
    slot: number,
    sequence: LlamaContextSequence,
    target: readonly number[],
    shared: number,
  ): Promise<number | "preempted"> {
    const { job, control } = turn;
    // A tail that fits in one chunk goes straight into the first decode step, which saves a
    // batch on every follow-up turn; longer prompts are fed in chunks first.
    while (target.length - 1 - shared > this.chunks.tokens) {
      if (this.pool.shouldYield(job)) await this.pool.yieldWhileUrgent(job, control.signal);
      if (control.stopped) break;
      if (job.preemptRequested) return "preempted";
      const n = Math.min(this.chunks.tokens, target.length - 1 - shared);
      const chunkStart = performance.now();
      const work = sequence.evaluateWithoutGeneratingNewTokens(target.slice(shared, shared + n) as Token[]);
      this.pool.track(slot, work);
      try {
        await control.race(work);
      } catch (error) {
        if (error instanceof RequestStopped) break;
        throw error;
      }
      this.pool.untrack(slot);
      shared += n;
      this.chunks.measured(n, performance.now() - chunkStart);
    }
    return shared;
  }

  /**
   * One decode pass: steps until the output ends, the grammar phase changes (the caller starts a
   * new pass under the new grammar), the request stops, or it is preempted (returns true).
   * `input`: the prompt tokens not yet in the cache, at least one.
   */
  private async *decode(
    turn: Turn,
    slot: number,
    sequence: LlamaContextSequence,
    input: readonly number[],
  ): AsyncGenerator<StreamEvent, boolean> {
    const { job, control, output } = turn;
    const contextSize = this.loaded.settings.contextSize;
    const phase = output.grammarPhase;
    const grammarState =
      phase === undefined || turn.grammars === undefined
        ? undefined
        : new this.loaded.nlc.LlamaGrammarEvaluationState({
            model: this.loaded.model,
            grammar: await this.prompts.grammar(turn.grammars[phase]),
          });
    const steps = this.steps(turn, sequence, input, grammarState);
    let preempted = false;
    const member = this.aligner.join();
    try {
      for (;;) {
        if (this.pool.shouldYield(job)) {
          member.leave();
          await this.pool.yieldWhileUrgent(job, control.signal);
        }
        if (control.stopped) break;
        if (job.preemptRequested) {
          preempted = true;
          break;
        }
        let result: StepResult;
        try {
          await control.race(member.ready());
          const room = Math.min(turn.maxTokens - output.generated.length, contextSize - 1 - sequence.nextTokenIndex);
          const step = steps.step(Math.max(1, room));
          this.pool.track(slot, step);
          try {
            result = await control.race(step);
          } finally {
            member.stepped();
          }
        } catch (error) {
          if (error instanceof RequestStopped) break;
          throw error;
        }
        this.pool.untrack(slot);
        const switched = output.take(result, performance.now());
        if (sequence.nextTokenIndex >= contextSize - 1) output.contextFull();
        for (const event of output.drain()) yield event;
        if (output.finish !== undefined || switched) break;
      }
    } finally {
      member.leave();
      // An aborted step is still running natively: close the steps when it is done.
      this.pool.afterWork(slot, () => steps.close().catch(() => undefined));
    }
    return preempted;
  }

  /** Speculation only where it cannot change the output: greedy, unconstrained, with a prediction. */
  private steps(
    turn: Turn,
    sequence: LlamaContextSequence,
    input: readonly number[],
    grammarState: LlamaGrammarEvaluationState | undefined,
  ): DecodeSteps {
    const { prediction } = turn.prepared;
    const temperature = turn.options.temperature ?? 0;
    if (prediction !== undefined && temperature === 0 && grammarState === undefined) {
      // A cursor over the prediction, in step with what the request has generated so far; every
      // token it compares teaches the draft policy the prediction's odds.
      const policy = new DraftPolicy();
      const cursor = new PredictionCursor(prediction, {}, ({ offset, matched }) =>
        policy.observeToken(offset, matched),
      );
      cursor.push(turn.output.generated);
      const isEog = (token: number): boolean => this.loaded.model.isEogToken(token as Token);
      return new SpeculativeSteps(sequence, input, cursor, policy, isEog);
    }
    return new PlainSteps(sequence, input, {
      temperature,
      seed: turn.options.seed ?? 1,
      grammarEvaluationState: grammarState,
    });
  }
}

/**
 * Keeps the longest prefix of `target` the sequence's KV cache already holds (all but the last
 * token at most, which the first decode step needs) and erases what follows it. Returns its length.
 */
async function keepSharedPrefix(sequence: LlamaContextSequence, target: readonly number[]): Promise<number> {
  const shared = Math.min(sequence.compareContextTokens(target as Token[]).firstDifferentIndex, target.length - 1);
  if (sequence.nextTokenIndex > shared) {
    await sequence.eraseContextTokenRanges([{ start: shared, end: sequence.nextTokenIndex }]);
  }
  return shared;
}
