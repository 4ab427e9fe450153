/**
 * Follows generated output along a predicted text (the original selection of an inline edit) and
 * proposes the next predicted tokens for speculative decoding. The model verifies every proposal,
 * so a wrong guess costs speed, never correctness.
 *
 * While the output matches the prediction the cursor simply advances. After a mismatch (the edit
 * changed something) it looks for the last few generated tokens further along the prediction and
 * resumes proposing from there, which is how an edit that rewrites one line gets the rest of the
 * file verified in batches again.
 */

export interface PredictionCursorOptions {
  /** Most tokens proposed at once. Defaults to 32. */
  maxProposal?: number;
  /** Generated tokens that must match a place in the prediction to resume after a mismatch. Defaults to 3. */
  resyncTokens?: number;
}

export class PredictionCursor {
  private readonly maxProposal: number;
  private readonly resyncTokens: number;
  /** Index in the prediction of the token expected next, or undefined when out of step. */
  private position: number | undefined = 0;
  private readonly generated: number[] = [];
  /** The last step was a guessed substitution that is not yet confirmed. */
  private substituted = false;
  /** The last position known to be in step, where a resync search starts. */
  private lastKnown = 0;

  constructor(
    private readonly prediction: readonly number[],
    options: PredictionCursorOptions = {},
  ) {
    this.maxProposal = Math.max(1, options.maxProposal ?? 32);
    this.resyncTokens = Math.max(1, options.resyncTokens ?? 3);
  }

  /** Records tokens the model produced (in order). */
  push(tokens: readonly number[]): void {
    for (const token of tokens) {
      this.generated.push(token);
      if (this.position !== undefined && this.prediction[this.position] === token) {
        this.position++;
        this.substituted = false;
        continue;
      }
      if (this.position !== undefined && !this.substituted) {
        // First guess after a mismatch: the token replaced one predicted token (the common
        // edit: a renamed identifier, a changed literal), so the prediction goes on after it.
        this.position++;
        this.substituted = true;
        continue;
      }
      this.substituted = false;
      this.position = this.resync();
    }
  }

  /** The next predicted tokens, or none while out of step. */
  propose(): number[] {
    if (this.position === undefined) return [];
    this.lastKnown = this.position;
    return this.prediction.slice(this.position, this.position + this.maxProposal);
  }

  /** Finds where the tail of the output occurs in the prediction, nearest after the last position first. */
  private resync(): number | undefined {
    const n = this.resyncTokens;
    if (this.generated.length < n) return undefined;
    const tail = this.generated.slice(-n);
    const from = Math.max(0, this.lastKnown - n);
    const starts = [...range(from, this.prediction.length - n + 1), ...range(0, from)];
    for (const start of starts) {
      let match = true;
      for (let i = 0; i < n; i++) {
        if (this.prediction[start + i] !== tail[i]) {
          match = false;
          break;
        }
      }
      if (match && start + n < this.prediction.length) {
        this.lastKnown = start + n;
        return start + n;
      }
    }
    return undefined;
  }
}

function range(from: number, to: number): number[] {
  const out: number[] = [];
  for (let i = from; i < to; i++) out.push(i);
  return out;
}
