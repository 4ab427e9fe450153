/**
 * Turns generated tokens into text events: decodes incrementally without splitting a UTF-8
 * character across events, and holds back text that might be the start of a stop string, so a
 * stop string never reaches the caller, not even in part.
 */

/** Decodes `tokens` to text; `context` are the tokens before them (SPM needs them for spacing). */
export type Detokenize = (tokens: readonly number[], context: readonly number[]) => string;

const REPLACEMENT = "\uFFFD";
/** Tokens of left context handed to the detokenizer; enough for any tokenizer's spacing rules. */
const CONTEXT_TOKENS = 4;

export class TokenTextDecoder {
  private readonly done: number[] = [];
  private pending: number[] = [];

  constructor(private readonly detokenize: Detokenize) {}

  /** Adds one token; returns the text that is complete so far (may be empty). */
  push(token: number): string {
    this.pending.push(token);
    const text = this.detokenize(this.pending, this.done.slice(-CONTEXT_TOKENS));
    // A trailing U+FFFD is a character whose remaining bytes are still to come; wait for them,
    // but not forever: four pending tokens cover the longest UTF-8 sequence.
    if (text.endsWith(REPLACEMENT) && this.pending.length < 4) return "";
    this.done.push(...this.pending);
    this.pending = [];
    return text;
  }

  /** Text of tokens still held back (an incomplete character at the end of generation). */
  flush(): string {
    if (this.pending.length === 0) return "";
    const text = this.detokenize(this.pending, this.done.slice(-CONTEXT_TOKENS));
    this.done.push(...this.pending);
    this.pending = [];
    return text;
  }
}

export class StopStringFilter {
  private held = "";
  private stoppedFlag = false;

  constructor(private readonly stops: readonly string[]) {}

  /** Whether a stop string was seen; nothing after it is ever returned. */
  get stopped(): boolean {
    return this.stoppedFlag;
  }

  /** Adds text; returns the part that is certainly not (part of) a stop string. */
  push(text: string): string {
    if (this.stoppedFlag) return "";
    this.held += text;
    let cut = -1;
    for (const stop of this.stops) {
      if (stop === "") continue;
      const at = this.held.indexOf(stop);
      if (at !== -1 && (cut === -1 || at < cut)) cut = at;
    }
    if (cut !== -1) {
      this.stoppedFlag = true;
      const out = this.held.slice(0, cut);
      this.held = "";
      return out;
    }
    const keep = this.longestStopPrefixAtEnd();
    const out = this.held.slice(0, this.held.length - keep);
    this.held = this.held.slice(this.held.length - keep);
    return out;
  }

  /** At the end of generation, the held text was not a stop string after all. */
  flush(): string {
    const out = this.stoppedFlag ? "" : this.held;
    this.held = "";
    return out;
  }

  private longestStopPrefixAtEnd(): number {
    let best = 0;
    for (const stop of this.stops) {
      for (let n = Math.min(stop.length - 1, this.held.length); n > best; n--) {
        if (this.held.endsWith(stop.slice(0, n))) {
          best = n;
          break;
        }
      }
    }
    return best;
  }
}
