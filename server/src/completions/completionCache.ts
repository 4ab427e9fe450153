/**
 * Completions the host already has. When the user types the first characters of the suggestion
 * that is showing, the next request's prefix is the old prefix plus those characters: the cache
 * answers it with the rest of the suggestion instead of asking the model again (which would cost a
 * prompt evaluation and a full decode for text the host already knows).
 *
 * A completion cut short by its time budget (`decodeBudget.ts`) is kept too, so that typing its
 * characters keeps showing the rest of it; but it is marked cut, and a request that would wait for
 * the whole answer (the user invoked the completion) is not answered by it: otherwise the cut text
 * would stand for that place's answer for as long as it stays in the cache. Once the user has typed
 * all of a cut completion the cache has nothing left for them and the model is asked again, from a
 * prompt whose prefix the engine mostly holds already.
 */

/** Completions kept: the recent ones of a few documents; each holds at most a prompt window of text. */
export const CACHE_ENTRIES = 64;

export interface CacheKey {
  uri: string;
  /** The prompt window's prefix (see `promptWindow.ts`). */
  prefix: string;
  /** The prompt window's suffix: typing at the cursor leaves it as it was. */
  suffix: string;
}

interface Entry extends CacheKey {
  text: string;
  /** Cut short by the time budget: the model would have written more. */
  cut: boolean;
}

export interface LookupOptions {
  /** Whether a completion cut short by the time budget may answer (not when the user asked for the whole one). */
  acceptCut: boolean;
}

export class CompletionCache {
  /** Oldest first. */
  private entries: Entry[] = [];

  constructor(private readonly capacity = CACHE_ENTRIES) {}

  /** Keeps `text`, the completion the model gave at `key` (`cut`: cut short by the time budget). */
  remember(key: CacheKey, text: string, cut = false): void {
    this.entries = this.entries.filter(
      (e) => !(e.uri === key.uri && e.prefix === key.prefix && e.suffix === key.suffix),
    );
    this.entries.push({ ...key, text, cut });
    if (this.entries.length > this.capacity) this.entries.shift();
  }

  /**
   * What is left of a known completion at `key`: the newest one whose prefix plus the start of its
   * text is this prefix, minus what was typed. Undefined when none fits, or when only whitespace
   * would be left (nothing worth showing). A cut completion answers only with `acceptCut`.
   */
  lookup(key: CacheKey, options: LookupOptions = { acceptCut: true }): string | undefined {
    for (let i = this.entries.length - 1; i >= 0; i--) {
      const entry = this.entries[i]!;
      if (entry.cut && !options.acceptCut) continue;
      if (entry.uri !== key.uri || entry.suffix !== key.suffix || !key.prefix.startsWith(entry.prefix)) continue;
      const typed = key.prefix.slice(entry.prefix.length);
      if (!entry.text.startsWith(typed)) continue;
      const rest = entry.text.slice(typed.length);
      if (rest.trim() === "") continue;
      return rest;
    }
    return undefined;
  }

  /** Forgets a document's completions (it was closed). */
  forget(uri: string): void {
    this.entries = this.entries.filter((e) => e.uri !== uri);
  }

  get size(): number {
    return this.entries.length;
  }
}
