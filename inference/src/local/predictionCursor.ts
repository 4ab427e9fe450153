/**
 * Follows generated output along a predicted text (the original selection of an inline edit) and
 * says which predicted tokens come next, for speculative decoding. The model verifies every
 * proposal, so a wrong guess costs speed, never correctness. Pure: no native code, so the policy
 * is tested on its own; how many of the upcoming tokens are worth a batch is `draftPolicy.ts`'s call.
 *
 * While the output matches the prediction the cursor simply advances. After a mismatch (the edit
 * changed something) it first guesses a one-token substitution (a renamed identifier, a changed
 * literal), and when the next token refutes that, it is out of step: it proposes nothing and looks
 * up where the last generated tokens occur in the prediction (an n-gram lookup, as prompt-lookup
 * decoding does), nearest after the last place it was in step first, so that after an inserted or a
 * deleted line the rest of the file is verified in batches again.
 */

export interface PredictionCursorOptions {
  /** Longest n-gram of the output looked up to rejoin the prediction. Defaults to 3. */
  resyncTokens?: number;
  /**
   * Shortest n-gram accepted to rejoin. Defaults to 3: a single token (a newline, an indent)
   * occurs all over a file, and a pair still rejoined at chance places often enough that, with the
   * prediction mostly wrong, the refused drafts cost 10–15% on the 0.5B model (`npm run bench --
   * engine --only=predictedEdit0On05b,predictedEdit20On05b`: 0.90 and 0.85 with pairs, 0.97 and 1.00
   * with triples); rejoining one token later costs one plain step per divergence.
   */
  minResyncTokens?: number;
}

/** One predicted token compared with the one the model wrote at its place. */
export interface CursorObservation {
  /** Tokens in step since the cursor last (re)joined the prediction, before this one. */
  offset: number;
  /** The model wrote the predicted token. */
  matched: boolean;
}

export class PredictionCursor {
  private readonly maxN: number;
  private readonly minN: number;
  /** Index in the prediction of the token expected next, or undefined when out of step. */
  private position: number | undefined = 0;
  /** Tokens matched since the cursor last (re)joined the prediction. */
  private run = 0;
  private readonly generated: number[] = [];
  /** The last step was a guessed substitution that is not yet confirmed. */
  private substituted = false;
  /** The prediction index after the last token known to be in step, where a lookup starts. */
  private lastKnown = 0;

  /** `observe`: told of every predicted token compared with the output, for the acceptance statistics. */
  constructor(
    private readonly prediction: readonly number[],
    options: PredictionCursorOptions = {},
    private readonly observe: (observation: CursorObservation) => void = () => undefined,
  ) {
    this.maxN = Math.max(1, options.resyncTokens ?? 3);
    this.minN = Math.min(this.maxN, Math.max(1, options.minResyncTokens ?? 3));
  }

  /** Whether the cursor knows where the output is in the prediction. */
  get inStep(): boolean {
    return this.position !== undefined && this.position < this.prediction.length;
  }

  /** Tokens matched since the cursor last (re)joined the prediction: what the next proposal's odds depend on. */
  get runLength(): number {
    return this.run;
  }

  /** The next `max` predicted tokens at most (never past the prediction's end), or none while out of step. */
  upcoming(max: number): number[] {
    if (this.position === undefined || max <= 0) return [];
    return this.prediction.slice(this.position, this.position + max);
  }

  /** Records tokens the model produced (in order). */
  push(tokens: readonly number[]): void {
    for (const token of tokens) {
      this.generated.push(token);
      if (this.position !== undefined && this.position < this.prediction.length) {
        const matched = this.prediction[this.position] === token;
        this.observe({ offset: this.run, matched });
        if (matched) {
          this.position++;
          this.lastKnown = this.position;
          this.run++;
          this.substituted = false;
          continue;
        }
        if (!this.substituted) {
          // First guess after a mismatch: the token replaced one predicted token, so the
          // prediction goes on after it. The next token confirms or refutes the guess.
          this.position++;
          this.run = 0;
          this.substituted = true;
          continue;
        }
      }
      this.substituted = false;
      this.run = 0;
      this.position = this.rejoin();
    }
  }

  /**
   * Where the output rejoins the prediction: the index after the longest tail of the output (of
   * `minN` to `maxN` tokens) that occurs in the prediction, nearest at or after the last place in
   * step, else nearest before it. Undefined when no tail occurs, or only at the prediction's end.
   */
  private rejoin(): number | undefined {
    for (let n = Math.min(this.maxN, this.generated.length); n >= this.minN; n--) {
      const tail = this.generated.slice(-n);
      const last = this.prediction.length - n;
      // An inserted line rejoins at the place the output left (`lastKnown`), a deleted one after it.
      const from = Math.max(0, Math.min(last, this.lastKnown - n + 1));
      for (let start = from; start < last; start++) if (this.occursAt(tail, start)) return start + n;
      for (let start = from - 1; start >= 0; start--) if (this.occursAt(tail, start)) return start + n;
    }
    return undefined;
  }

  private occursAt(tail: readonly number[], start: number): boolean {
    for (let i = 0; i < tail.length; i++) if (this.prediction[start + i] !== tail[i]) return false;
    return true;
  }
}
