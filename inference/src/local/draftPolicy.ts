/**
 * How many predicted tokens to verify in the next speculative batch: an expected-gain rule, pure
 * so that it is tested without native code.
 *
 * A batch of 1 + k tokens yields the accepted predicted tokens plus the model's own next token, and
 * costs what a batch of that size costs on this machine, plus the engine's own work around a step.
 * On a GPU a batch of 16 costs about one token; on a CPU it costs many (measured on a 2-vCPU EPYC
 * with the copy model: one token ≈ 1 ms, a batch of 5 ≈ 3–4 ms, of 17 ≈ 10 ms), so a draft that is
 * half refused loses to plain decoding. The policy therefore learns both sides while it runs:
 *
 * - the odds: for each offset into a run (tokens in step since the cursor last joined the
 *   prediction), how often the predicted token was the model's. Offsets matter because edits are
 *   clustered: right after a divergence the odds are low, deep into an unchanged stretch they are
 *   high; and a prediction wrong every fifth token is refused at one offset only, so the draft stops
 *   just before it. Every compared token counts, proposed or not, so the odds stay current while
 *   the policy decodes plainly;
 * - the costs: what each batch size took, measured, with an optimistic prior for sizes not tried
 *   yet, so that a machine where batches are cheap is found out.
 *
 * It proposes the k (0 included: a plain one-token step) that maximises expected tokens per
 * millisecond, so the draft shrinks after refusals and grows after acceptances, and drops to
 * nothing while speculation would lose.
 */

export interface DraftPolicyOptions {
  /** Most tokens proposed at once. Defaults to `MAX_DRAFT`. */
  maxDraft?: number;
}

/**
 * Longest draft: beyond about 32 tokens a CPU batch costs as much per token as single decodes, and
 * a GPU batch of 33 already returns the draft's whole gain; a longer one only risks more refused work.
 */
export const MAX_DRAFT = 32;

/** Odds are kept per offset up to here; deeper offsets share the last bucket. */
const OFFSET_BUCKETS = MAX_DRAFT + 1;

/**
 * Weight of past observations after each new one: 0.995 gives a half-life of about 140 tokens, so
 * the odds follow the edit from an unchanged stretch into a rewritten one within a few lines.
 */
const DECAY = 0.995;

/** Odds assumed before any observation: a prediction is given to an edit because it is mostly right. */
const PRIOR_ACCEPTANCE = 0.8;

/** Pseudo-observations of the pooled odds in each offset's estimate, so one sample does not decide it. */
const PRIOR_WEIGHT = 2;

/**
 * Optimistic cost of an untried batch, per token beyond the first, as a fraction of a one-token
 * step: low (GPU-like), so that sizes get tried, and measured for real, before they are ruled out.
 */
const PRIOR_MARGINAL_COST = 0.15;

/** Engine work around a step, as a fraction of a one-token step, until measured. */
const PRIOR_OVERHEAD = 0.3;

/** Weight of a new cost measurement. */
const COST_SMOOTHING = 0.25;

/**
 * A measurement counts at most this many times the current estimate: a stall of the shared
 * machine (a 50 ms step was seen) should not rule a batch size out for the rest of the edit.
 */
const COST_OUTLIER = 3;

export class DraftPolicy {
  private readonly maxDraft: number;
  /** Decayed counts of compared tokens and matches, per run offset. */
  private readonly tested = new Float64Array(OFFSET_BUCKETS);
  private readonly matched = new Float64Array(OFFSET_BUCKETS);
  private pooledTested = 0;
  private pooledMatched = 0;
  /** Smoothed milliseconds per batch size (index = tokens in the batch), undefined until measured. */
  private readonly cost: (number | undefined)[];
  private overhead: number | undefined;

  constructor(options: DraftPolicyOptions = {}) {
    this.maxDraft = Math.max(0, Math.min(MAX_DRAFT, options.maxDraft ?? MAX_DRAFT));
    this.cost = new Array<number | undefined>(this.maxDraft + 2).fill(undefined);
  }

  /** A predicted token compared with the model's at `offset` into a run. */
  observeToken(offset: number, matched: boolean): void {
    for (let i = 0; i < OFFSET_BUCKETS; i++) {
      this.tested[i] = (this.tested[i] ?? 0) * DECAY;
      this.matched[i] = (this.matched[i] ?? 0) * DECAY;
    }
    this.pooledTested *= DECAY;
    this.pooledMatched *= DECAY;
    const bucket = Math.min(OFFSET_BUCKETS - 1, Math.max(0, Math.floor(offset)));
    this.tested[bucket] = (this.tested[bucket] ?? 0) + 1;
    this.pooledTested += 1;
    if (matched) {
      this.matched[bucket] = (this.matched[bucket] ?? 0) + 1;
      this.pooledMatched += 1;
    }
  }

  /** A batch of `size` tokens (the step's input plus the draft) took `ms` in the model. */
  observeBatch(size: number, ms: number): void {
    if (!(size >= 1 && size < this.cost.length && ms >= 0)) return;
    this.cost[size] = smooth(this.cost[size], ms);
  }

  /** The engine spent `ms` between two steps (events, scheduling): what a longer draft saves too. */
  observeOverhead(ms: number): void {
    if (ms >= 0) this.overhead = smooth(this.overhead, ms);
  }

  /** Probability that the predicted token at `offset` into a run is the model's. */
  acceptance(offset: number): number {
    const pooled = (this.pooledMatched + PRIOR_ACCEPTANCE) / (this.pooledTested + 1);
    const bucket = Math.min(OFFSET_BUCKETS - 1, Math.max(0, Math.floor(offset)));
    return ((this.matched[bucket] ?? 0) + PRIOR_WEIGHT * pooled) / ((this.tested[bucket] ?? 0) + PRIOR_WEIGHT);
  }

  /** Expected tokens from a batch proposing `k` tokens at `offset`: the accepted ones plus the model's own. */
  expectedTokens(offset: number, k: number): number {
    let expected = 1;
    let allAccepted = 1;
    for (let i = 0; i < k; i++) {
      allAccepted *= this.acceptance(offset + i);
      expected += allAccepted;
    }
    return expected;
  }

  /**
   * Estimated milliseconds of a batch of `size` tokens: measured, else interpolated between the
   * nearest measured sizes, else extrapolated from the largest one below with the optimistic prior.
   */
  batchCost(size: number): number {
    const measured = this.cost[size];
    if (measured !== undefined) return measured;
    const one = this.cost[1] ?? 1;
    let below = 1;
    for (let s = size - 1; s > 1; s--)
      if (this.cost[s] !== undefined) {
        below = s;
        break;
      }
    const base = below === 1 ? one : (this.cost[below] as number);
    for (let s = size + 1; s < this.cost.length; s++) {
      const above = this.cost[s];
      if (above !== undefined) return base + ((Math.max(base, above) - base) * (size - below)) / (s - below);
    }
    return base + PRIOR_MARGINAL_COST * one * (size - below);
  }

  /** How many of `available` upcoming predicted tokens, proposed at `offset` into a run, to verify. */
  draftLength(offset: number, available: number): number {
    // A plain step is the yardstick every draft is compared with: measure one first.
    const one = this.cost[1];
    if (one === undefined) return 0;
    const most = Math.max(0, Math.min(available, this.maxDraft));
    const overhead = this.overhead ?? PRIOR_OVERHEAD * one;
    let best = 0;
    let bestRate = 1 / (overhead + one);
    let expected = 1;
    let allAccepted = 1;
    for (let k = 1; k <= most; k++) {
      allAccepted *= this.acceptance(offset + k - 1);
      expected += allAccepted;
      const rate = expected / (overhead + this.batchCost(k + 1));
      if (rate > bestRate) {
        best = k;
        bestRate = rate;
      }
    }
    return best;
  }
}

function smooth(previous: number | undefined, sample: number): number {
  if (previous === undefined) return sample;
  return previous + COST_SMOOTHING * (Math.min(sample, COST_OUTLIER * previous) - previous);
}
