/**
 * The chain the copy model follows. Its vocabulary has one token per character and no merges, so
 * a text over the chain's alphabet is exactly one token per character, and the model's greedy next
 * token after character `c` is always `next(c)`; after any token outside the alphabet (a newline,
 * a control token, a byte) it is `start`. A text that follows the chain is therefore predicted
 * perfectly, and one with substitutions at chosen positions has a known acceptance rate.
 */
import { SeededRandom } from "./random.js";

/** The characters the chain runs through: 62 letters and digits, each a token of its own. */
export const COPY_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

/** The default seed of generated models. */
export const DEFAULT_MODEL_SEED = 1;

export interface CopyChain {
  /** The characters in chain order: `order[i + 1]` follows `order[i]`, and `order[0]` follows the last. */
  order: string;
  /** What the model writes after any token outside the alphabet. */
  start: string;
  /** The character the model writes after `char`; `start` for anything outside the alphabet. */
  next(char: string): string;
  /** `length` characters that follow the chain, beginning at `from`. Defaults to beginning at `start`. */
  text(length: number, from?: string): string;
}

/** The chain of the copy model generated with `seed` (one cycle through the whole alphabet). */
export function copyChain(seed: number = DEFAULT_MODEL_SEED): CopyChain {
  const order = new SeededRandom(seed ^ 0x636f7079).shuffle([...COPY_ALPHABET]).join("");
  const start = order[0]!;
  const next = (char: string): string => {
    const at = order.indexOf(char);
    return at < 0 || char.length !== 1 ? start : order[(at + 1) % order.length]!;
  };
  return {
    order,
    start,
    next,
    text(length, from = start) {
      let out = "";
      let c = from;
      for (let i = 0; i < length; i++) {
        out += c;
        c = next(c);
      }
      return out;
    },
  };
}

/**
 * `text` with the character at each of `positions` replaced by a different alphabet character
 * (one the chain would not write there). Substitutions keep the length and the alignment, so a
 * model that follows the chain disagrees with the result at exactly those positions.
 */
export function corruptChain(chain: CopyChain, text: string, positions: Iterable<number>): string {
  const chars = [...text];
  for (const at of positions) {
    const original = chars[at];
    if (original === undefined) throw new RangeError(`position ${at} is outside the text (length ${chars.length})`);
    // next(next(c)) is never c itself, because the chain is one cycle longer than two.
    chars[at] = chain.next(chain.next(original));
  }
  return chars.join("");
}

/**
 * Evenly spread positions to corrupt so that about `acceptance` (0..1] of `length` characters stay
 * as the chain has them; position 0 is never corrupted.
 */
export function corruptionPositions(length: number, acceptance: number): number[] {
  if (!(acceptance > 0 && acceptance <= 1)) throw new RangeError(`acceptance must be in (0, 1], got ${acceptance}`);
  const count = Math.round(length * (1 - acceptance));
  if (count === 0) return [];
  const step = length / count;
  return Array.from({ length: count }, (_, i) => Math.min(length - 1, Math.floor((i + 1) * step) - 1)).filter(
    (p, i, all) => p > 0 && all.indexOf(p) === i,
  );
}
