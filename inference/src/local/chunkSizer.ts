/**
 * The size of the prompt chunks the local engine feeds: long prompts go into the KV cache a chunk
 * at a time, because llama.cpp cannot stop in the middle of a batch, and an abort, a deadline or an
 * interactive request must never wait for a whole prefill. Each chunk should take about
 * `targetMs`: shorter wastes batch efficiency, longer makes everyone else wait. The speed of the
 * last full chunk sets the next one's size, so the size follows the model and the machine's load.
 *
 * Pure arithmetic, kept apart from the generation loop so that it is tested on its own.
 */

/** Smallest chunk: below this, per-batch overhead dominates. */
export const MIN_CHUNK_TOKENS = 16;
/** First chunk before any has been measured. */
const FIRST_CHUNK_TOKENS = 64;

export class ChunkSizer {
  private size: number;

  /** `batchSize`: the context's batch, the largest chunk llama.cpp takes at once. */
  constructor(
    private readonly batchSize: number,
    private readonly targetMs: number,
  ) {
    this.size = Math.min(FIRST_CHUNK_TOKENS, batchSize);
  }

  /** Tokens of the next chunk. */
  get tokens(): number {
    return this.size;
  }

  /** Learns from a chunk of `tokens` that took `ms`; partial chunks say little and are ignored. */
  measured(tokens: number, ms: number): void {
    if (tokens < this.size || ms <= 0) return;
    const ideal = Math.round((tokens / ms) * this.targetMs);
    this.size = Math.max(MIN_CHUNK_TOKENS, Math.min(this.batchSize, ideal));
  }
}
