/**
 * When a completion stops decoding to be shown in time, and what of its text is shown then.
 *
 * Ghost text is only worth something while the typist pauses: an answer that comes after the next
 * keystroke is never seen. So a completion the editor asked for on its own gets a time budget,
 * counted from the moment the request arrived: the set debounce plus `bora.completions.budgetMs`. The
 * engine's queue and the prompt evaluation are part of it, as they are of what the user waits
 * for; the debounce is added on top, because it is a wait the user chose (a long one must not
 * leave no time to decode). The budget is a deadline, not a trigger: when the next token is
 * expected after it (one gap between text events later), decoding stops at once if something useful
 * can be shown (the lines finished so far, else the line so far cut at a word boundary: half an
 * identifier would be wrong code), so that the text arrives by the deadline rather than a token
 * after it. When not even that is there yet, decoding goes on for a few
 * more tokens and then gives up, showing nothing: a lone bracket is not worth the user's glance,
 * and a request that ran this late is about to be cancelled by the next keystroke anyway.
 * (llama.cpp's server has a similar limit for FIM, `t_max_predict_ms`, which stops after a time
 * once a line break was generated.)
 *
 * Pure: the caller gives the elapsed time and the text so far (see `completionService.ts`).
 */

/**
 * Text events (about one token each) a completion may still decode past the budget to reach
 * something useful. Most identifiers and keywords are at most 4 tokens, so 8 nearly always finish
 * the word under way; on this project's 2-core CPU 8 tokens of the 0.5B model are about 200 ms, so
 * the answer is still inside an 800 ms pause.
 */
export const MAX_EVENTS_PAST_BUDGET = 8;

/**
 * Fewest visible (non-whitespace) characters a cut partial line must have to be shown: fewer (a
 * lone `(` or `x`) save the user less than reading the ghost text costs. A finished line is always
 * shown, even `}` alone, since the model chose to end it there.
 */
export const MIN_USEFUL_CHARS = 3;

const WORD = /[\p{L}\p{N}_$]/u;
/** Characters that end a token of code on their own: whatever comes next cannot merge with them. */
const SEPARATOR = /[\s()[\]{},;]/u;
/** Operator characters: `=` may become `==` or `=>`, so a cut between two of them splits an operator. */
const OPERATOR = /[^\p{L}\p{N}_$\s()[\]{},;]/u;

/**
 * The longest start of `line` (a line still being generated, without its line break) that ends at
 * a word boundary: never inside a word, a number or an operator. The end of `line` itself counts
 * only after whitespace or a bracket or separator, since the next token could still extend the
 * word. Trailing whitespace is dropped.
 */
export function cutAtWordBoundary(line: string): string {
  const chars = [...line];
  for (let p = chars.length; p > 0; p--) {
    const before = chars[p - 1]!;
    const after = chars[p];
    const boundary =
      after === undefined
        ? SEPARATOR.test(before)
        : !(WORD.test(before) && WORD.test(after)) && !(OPERATOR.test(before) && OPERATOR.test(after));
    if (boundary) return chars.slice(0, p).join("").trimEnd();
  }
  return "";
}

/**
 * What of `text` (the completion generated so far, not yet finished) is worth showing if decoding
 * stops now: its finished lines when it has any that are not blank, else its first line cut at a
 * word boundary when that has `MIN_USEFUL_CHARS` visible characters; undefined when neither.
 */
export function showableCut(text: string): string | undefined {
  const lastBreak = text.lastIndexOf("\n");
  if (lastBreak !== -1) {
    const lines = text.slice(0, lastBreak).trimEnd();
    if (lines.trim() !== "") return lines;
  }
  const partial = cutAtWordBoundary(text.slice(lastBreak + 1));
  const visible = partial.replace(/\s/g, "").length;
  if (visible < MIN_USEFUL_CHARS) return undefined;
  // The blank lines before it (the model started with a line break) stay: they place the text.
  return text.slice(0, lastBreak + 1) + partial;
}

export type BudgetDecision =
  /** Go on decoding. */
  | { stop: false }
  /** Stop decoding and show `text` (undefined: show nothing). */
  | { stop: true; text: string | undefined };

/**
 * The budget of one completion. `budgetMs` undefined: no budget (the user asked for the
 * completion explicitly, so they wait for it, or set `bora.completions.budgetMs` to 0; the line
 * and token limits still hold).
 */
export class DecodeBudget {
  private eventsPastBudget = 0;
  private lastElapsedMs: number | undefined;

  constructor(
    private readonly budgetMs: number | undefined,
    private readonly maxEventsPastBudget = MAX_EVENTS_PAST_BUDGET,
  ) {}

  /**
   * After each text event: `text` is all generated so far, `elapsedMs` the time since the request
   * arrived (events come about one token apart, so the last gap foretells the next).
   */
  next(text: string, elapsedMs: number): BudgetDecision {
    if (this.budgetMs === undefined) return { stop: false };
    // The first event has no gap to go by: the time to it is mostly the prompt, not a token.
    const gapMs = this.lastElapsedMs === undefined ? 0 : Math.max(0, elapsedMs - this.lastElapsedMs);
    this.lastElapsedMs = elapsedMs;
    if (elapsedMs + gapMs < this.budgetMs) return { stop: false };
    const cut = showableCut(text);
    if (cut !== undefined) return { stop: true, text: cut };
    // Nothing to show yet, but still in time: go on, the next token may finish the word.
    if (elapsedMs < this.budgetMs) return { stop: false };
    this.eventsPastBudget++;
    return this.eventsPastBudget > this.maxEventsPastBudget ? { stop: true, text: undefined } : { stop: false };
  }
}
