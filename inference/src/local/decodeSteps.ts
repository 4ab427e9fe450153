/**
 * One decode step at a time, in two flavours behind one interface, so the engine's loop can stop,
 * pause or hand over its sequence between any two steps:
 *
 * - `PlainSteps` wraps node-llama-cpp's `evaluate()` generator: one token per step, with grammar
 *   and sampling options.
 * - `SpeculativeSteps` verifies a draft from the prediction in one batch (see `draftVerifier.ts`):
 *   the model's own greedy token is computed at every position, the longest
 *   run where it agrees with the proposal is kept, the first disagreeing token is the model's, and
 *   the rejected tail is erased from the KV cache. Output is the model's greedy output, only
 *   reached in fewer batches. (node-llama-cpp's built-in `TokenPredictor` path validates at most one
 *   predicted token per batch in 3.21.1 — it compares against an array it never fills — so it cannot
 *   give the batch verification an edit needs.) How long a draft is, and whether to draft at all,
 *   is `draftPolicy.ts`'s call, from the costs this class measures; where there is no draft, it
 *   takes plain steps as `PlainSteps` does.
 *
 * Both keep the same invariant: after a step, the KV cache holds everything emitted except the last
 * token, which is the input of the next step.
 */
import type { LlamaContextSequence, LlamaGrammarEvaluationState, Token } from "node-llama-cpp";
import { MAX_DRAFT, type DraftPolicy } from "./draftPolicy.js";
import { draftVerifier, type DraftVerifier } from "./draftVerifier.js";
import type { PredictionCursor } from "./predictionCursor.js";

export interface StepResult {
  /** Tokens produced by this step, in order (end-of-generation tokens excluded). */
  tokens: number[];
  /** The model ended generation (an end-of-generation token). */
  finished: boolean;
  /** Predicted tokens the model agreed with in this step. */
  accepted: number;
}

export interface DecodeSteps {
  step(limit: number): Promise<StepResult>;
  close(): Promise<void>;
}

export interface SamplingOptions {
  temperature: number;
  seed: number;
  grammarEvaluationState?: LlamaGrammarEvaluationState;
}

export class PlainSteps implements DecodeSteps {
  private readonly iterator: AsyncGenerator<Token, void, void | Token | Token[]>;

  /** `input`: the tokens not yet in the cache, at least one (the last prompt token). */
  constructor(sequence: LlamaContextSequence, input: readonly number[], sampling: SamplingOptions) {
    this.iterator = sequence.evaluate(input.slice() as Token[], sampling);
  }

  async step(): Promise<StepResult> {
    const next = await this.iterator.next();
    if (next.done === true) return { tokens: [], finished: true, accepted: 0 };
    return { tokens: [next.value], finished: false, accepted: 0 };
  }

  async close(): Promise<void> {
    await this.iterator.return();
  }
}

export class SpeculativeSteps implements DecodeSteps {
  /** Tokens not yet in the cache: the unfed prompt tail at first, then the last emitted token. */
  private pending: number[];
  /** When the last step returned, to measure the engine's work between steps. */
  private lastReturn: number | undefined;
  /**
   * The plain steps between drafts, while the policy proposes nothing: the same `evaluate()`
   * generator as `PlainSteps`, kept open across them, because a one-token `controlledEvaluate()`
   * makes and frees a sampler per call, and a prediction that is all wrong must cost what plain
   * decoding costs.
   */
  private plain: PlainSteps | undefined;
  /** The plain steps' first step also fed what was pending: its time is not a one-token step's. */
  private plainFresh = false;
  private readonly verifier: DraftVerifier;

  /**
   * `cursor` says which predicted tokens come next and `policy` how many of them are worth a
   * batch; the cursor must report its comparisons to the same policy (see `GenerationLoop.steps`).
   */
  constructor(
    private readonly sequence: LlamaContextSequence,
    input: readonly number[],
    private readonly cursor: PredictionCursor,
    private readonly policy: DraftPolicy,
    private readonly isEog: (token: number) => boolean,
  ) {
    this.pending = input.slice();
    this.verifier = draftVerifier(sequence);
  }

  /** `limit`: most tokens this step may produce (what is left of `maxTokens` and of the context). */
  async step(limit: number): Promise<StepResult> {
    const started = performance.now();
    if (this.lastReturn !== undefined) this.policy.observeOverhead(started - this.lastReturn);
    const room = this.sequence.contextSize - this.sequence.nextTokenIndex - this.pending.length;
    const upcoming = this.cursor.upcoming(Math.max(0, Math.min(limit, room, MAX_DRAFT + 1) - 1));
    const proposal = upcoming.slice(0, this.policy.draftLength(this.cursor.runLength, upcoming.length));
    const result = proposal.length === 0 ? await this.plainStep() : await this.draftStep(proposal);
    this.cursor.push(result.tokens);
    const last = result.tokens.at(-1);
    if (last !== undefined) this.pending = [last];
    this.lastReturn = performance.now();
    return result;
  }

  async close(): Promise<void> {
    // The cache holds exactly the emitted tokens but the last; a plain generator holds nothing more.
    await this.closePlain();
    this.verifier.dispose();
  }

  private async plainStep(): Promise<StepResult> {
    if (this.plain === undefined) {
      this.plain = new PlainSteps(this.sequence, this.pending, { temperature: 0, seed: 1 });
      this.plainFresh = true;
    }
    const started = performance.now();
    const result = await this.plain.step();
    if (!this.plainFresh) this.policy.observeBatch(1, performance.now() - started);
    this.plainFresh = false;
    return result;
  }

  private async closePlain(): Promise<void> {
    const plain = this.plain;
    this.plain = undefined;
    // Its last token was yielded, not fed: it stays pending, as the invariant wants.
    await plain?.close();
  }

  /**
   * Verifies `proposal` in one batch: the model's own greedy token at every position, the longest
   * run where it agrees with the proposal kept, and the refused tail erased from the KV cache.
   */
  private async draftStep(proposal: readonly number[]): Promise<StepResult> {
    await this.closePlain();
    const started = performance.now();
    const context = this.pending.slice(0, -1);
    const verified = [...this.pending.slice(-1), ...proposal];
    const output = await this.verifier.verify(context, verified);
    const tokens: number[] = [];
    let finished = false;
    let accepted = 0;
    for (let i = 0; i <= proposal.length; i++) {
      const token = output[i];
      if (token === undefined || token === null) throw new Error("llama.cpp returned no token for a verified position");
      if (this.isEog(token)) {
        finished = true;
        break;
      }
      tokens.push(token);
      if (i < proposal.length && token === proposal[i]) {
        accepted++;
        continue;
      }
      break;
    }
    // The KV cache holds the pending tokens and the whole proposal; keep all but the refused tail.
    const rejected = proposal.length - accepted;
    if (rejected > 0) {
      const end = this.sequence.nextTokenIndex;
      await this.sequence.eraseContextTokenRanges([{ start: end - rejected, end }]);
    }
    // The first step also feeds the prompt's tail: its time says nothing about a batch of this size.
    if (context.length === 0) this.policy.observeBatch(verified.length, performance.now() - started);
    return { tokens, finished, accepted };
  }
}
