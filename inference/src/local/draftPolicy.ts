/**
 * How many predicted tokens to verify in the next speculative batch: an expected-gain rule, pure
 * so that it is tested without native code.
 *
 * A batch of 1 + k tokens yields the accepted predicted tokens plus the model's own next token, and
 * costs what a batch of that size costs on this machine, plus the engine's own work around a step.
 * On a GPU a batch of 16 costs about one token; on a CPU it costs many. Measured on a 2-vCPU EPYC
 * with the copy model on one thread: llama.cpp decodes 1 token in about 0.6 ms but 2 in 2.3 ms and
 * 5 in 4 ms (a small model is compute-bound there, nothing to amortise), and node-llama-cpp samples
 * each verified position in a native call of its own (about 0.2 ms more each); so a draft
 * that is half refused loses to plain decoding. The policy therefore learns both sides as it goes:
 *
 * - the odds: for each offset into a run (tokens in step since the cursor last joined the
 *   prediction), how often the predicted token was the model's. Offsets matter because edits are
 *   clustered: right after a divergence the odds are low, deep into an unchanged stretch they are
 *   high; and a prediction wrong every fifth token is refused at one offset only, so the draft stops
 *   just before it. Every compared token counts, proposed or not, so the odds stay current while
 *   the policy decodes plainly;
 * - the costs: a plain step's, and a straight line through the measured batches (cost = a + b ×
 *   size), pulled towards an optimistic prior while few are measured, so that a machine where
 *   batches are cheap is found out. One line rather than a table per size: every batch measured
 *   informs every size, and noise cannot make a longer batch look cheaper than a shorter one.
 *
 * It proposes the k (0 included: a plain one-token step) that maximises expected tokens per
 * millisecond, never past the first token more likely refused than accepted, so the draft shrinks after refusals and grows after acceptances, and drops to
 * nothing while speculation would lose. Now and then it re-measures the side it is not using, as
 * the load of a shared machine moves both.
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
const ODDS_DECAY = 0.995;

/** Odds assumed before any observation: a prediction is given to an edit because it is mostly right. */
const PRIOR_ACCEPTANCE = 0.8;

/** Pseudo-observations of the pooled odds in each offset's estimate, so one sample does not decide it. */
const PRIOR_WEIGHT = 2;

/**
 * Optimistic cost of a batch, per token beyond the first, as a fraction of a plain step: low
 * (GPU-like), so that long batches get tried, and measured for real, before they are ruled out.
 */
const PRIOR_MARGINAL_COST = 0.15;

/**
 * Weight of that prior on the slope of the cost line (in the units of the measurements' spread,
 * batches × sizes²): it decides the slope while the measured sizes are few and close together,
 * and gives way once they are spread.
 */
const PRIOR_SLOPE_WEIGHT = 8;

/**
 * Least cost per token beyond the first, as a fraction of a plain step: no hardware verifies a
 * longer batch for free (a GPU batch of 33 costs about 1.3 plain steps), and a flat line would
 * make the longest draft look best however poor its last tokens' odds.
 */
const MIN_MARGINAL_COST = 0.01;

/** Weight of past batch measurements after each new one: a half-life of about 7 batches. */
const COST_DECAY = 0.9;

/** Engine work around a step, as a fraction of a plain step, until measured. */
const PRIOR_OVERHEAD = 0.3;

/** Weight of a new overhead measurement. */
const SMOOTHING = 0.25;

/**
 * A plain step's cost is the median of this many recent ones: plain steps come often, and a
 * median ignores the stalls of a shared machine (single steps of 3–8 ms among 1 ms ones were seen)
 * that would otherwise make every draft look like a gain until the next plain step.
 */
const PLAIN_SAMPLES = 9;

/**
 * A draft ends before the first token that is more likely refused than accepted: past it the
 * draft is more likely wasted work than not, which never pays on a CPU and gains little on a GPU.
 * Bounding the length by the odds alone also keeps it sane while the cost line is still unsure.
 */
const DRAFT_CONFIDENCE = 0.5;

/**
 * A measurement counts at most this many times the current estimate: a stall of the shared
 * machine (a 50 ms step was seen) should not rule a batch size out for the rest of the edit.
 */
const COST_OUTLIER = 3;

/**
 * A draft must promise this much more than a plain step (tokens per ms) to be taken: switching
 * between plain steps and batches has a cost of its own, and the measurements are noisy on a
 * shared machine, so near a tie plain decoding, which cannot lose, wins.
 */
const DRAFT_MARGIN = 0.05;

/** After this many drafts in a row, one plain step re-measures what a plain step costs now. */
const PLAIN_PROBE_INTERVAL = 32;

/**
 * After this many plain steps in a row with good odds, one draft re-measures what a batch costs
 * now; the interval doubles each time the probe does not change the policy's mind, up to the
 * maximum, so a prediction that stays a loss costs a probe in hundreds of tokens at most.
 */
const DRAFT_PROBE_INTERVAL = 16;
const MAX_DRAFT_PROBE_INTERVAL = 512;

export class DraftPolicy {
  private readonly maxDraft: number;
  /** Decayed counts of compared tokens and matches, per run offset. */
  private readonly tested = new Float64Array(OFFSET_BUCKETS);
  private readonly matched = new Float64Array(OFFSET_BUCKETS);
  private pooledTested = 0;
  private pooledMatched = 0;
  /** Recent plain steps' milliseconds, oldest first. */
  private readonly plainSamples: number[] = [];
  private plainCost: number | undefined;
  private overhead: number | undefined;
  /** Decayed weighted sums of the batch measurements (size n, ms y) for the cost line. */
  private readonly sums = { w: 0, n: 0, y: 0, nn: 0, ny: 0 };
  private draftStreak = 0;
  private plainStreak = 0;
  private draftProbeInterval = DRAFT_PROBE_INTERVAL;
  private probing = false;

  constructor(options: DraftPolicyOptions = {}) {
    this.maxDraft = Math.max(0, Math.min(MAX_DRAFT, options.maxDraft ?? MAX_DRAFT));
  }

  /** A predicted token compared with the model's at `offset` into a run. */
  observeToken(offset: number, matched: boolean): void {
    for (let i = 0; i < OFFSET_BUCKETS; i++) {
      this.tested[i] = (this.tested[i] ?? 0) * ODDS_DECAY;
      this.matched[i] = (this.matched[i] ?? 0) * ODDS_DECAY;
    }
    this.pooledTested *= ODDS_DECAY;
    this.pooledMatched *= ODDS_DECAY;
    const bucket = bucketOf(offset);
    this.tested[bucket] = (this.tested[bucket] ?? 0) + 1;
    this.pooledTested += 1;
    if (matched) {
      this.matched[bucket] = (this.matched[bucket] ?? 0) + 1;
      this.pooledMatched += 1;
    }
  }

  /** A step of `size` tokens (1: a plain step; more: the input plus a draft) took `ms` in the model. */
  observeBatch(size: number, ms: number): void {
    if (!(size >= 1 && ms >= 0)) return;
    if (size === 1) {
      this.plainSamples.push(ms);
      if (this.plainSamples.length > PLAIN_SAMPLES) this.plainSamples.shift();
      const sorted = [...this.plainSamples].sort((a, b) => a - b);
      this.plainCost = sorted[Math.floor(sorted.length / 2)];
      return;
    }
    const y = Math.min(ms, COST_OUTLIER * this.batchCost(size));
    const s = this.sums;
    s.w = s.w * COST_DECAY + 1;
    s.n = s.n * COST_DECAY + size;
    s.y = s.y * COST_DECAY + y;
    s.nn = s.nn * COST_DECAY + size * size;
    s.ny = s.ny * COST_DECAY + size * y;
  }

  /** The engine spent `ms` between two steps (events, scheduling): what a longer draft saves too. */
  observeOverhead(ms: number): void {
    if (ms >= 0) this.overhead = smooth(this.overhead, Math.min(ms, COST_OUTLIER * (this.overhead ?? ms)));
  }

  /** Probability that the predicted token at `offset` into a run is the model's. */
  acceptance(offset: number): number {
    const pooled = (this.pooledMatched + PRIOR_ACCEPTANCE) / (this.pooledTested + 1);
    const bucket = bucketOf(offset);
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
   * Estimated milliseconds of a step of `size` tokens: a plain step's, or a point on the batch cost
   * line fitted to the measurements (weighted least squares, the slope pulled towards the prior).
   */
  batchCost(size: number): number {
    const one = this.plainCost ?? 1;
    if (size <= 1) return one;
    const { w, n, y, nn, ny } = this.sums;
    const prior = PRIOR_MARGINAL_COST * one;
    let slope = prior;
    let intercept = one - prior;
    const det = w * (nn + PRIOR_SLOPE_WEIGHT) - n * n;
    if (w > 0 && det > 0) {
      slope = (w * (ny + PRIOR_SLOPE_WEIGHT * prior) - n * y) / det;
      intercept = (y - slope * n) / w;
    }
    const least = MIN_MARGINAL_COST * one;
    if (slope < least) {
      // Refit the level alone with the least slope.
      slope = least;
      if (w > 0) intercept = (y - slope * n) / w;
    }
    return Math.max(one, intercept + slope * size);
  }

  /** How many of `available` upcoming predicted tokens, proposed at `offset` into a run, to verify. */
  draftLength(offset: number, available: number): number {
    const k = this.choose(offset, available);
    if (k === 0) {
      this.plainStreak++;
      this.draftStreak = 0;
    } else {
      this.draftStreak++;
      this.plainStreak = 0;
    }
    return k;
  }

  private choose(offset: number, available: number): number {
    // A plain step is the yardstick every draft is compared with: measure one first.
    const one = this.plainCost;
    if (one === undefined) return 0;
    const most = Math.max(0, Math.min(available, this.maxDraft));
    const overhead = this.overhead ?? PRIOR_OVERHEAD * one;
    let best = 0;
    let bestRate = 0;
    let bestExpected = 1;
    let expected = 1;
    let allAccepted = 1;
    for (let k = 1; k <= most; k++) {
      allAccepted *= this.acceptance(offset + k - 1);
      if (allAccepted < DRAFT_CONFIDENCE) break;
      expected += allAccepted;
      const rate = expected / (overhead + this.batchCost(k + 1));
      if (rate > bestRate) {
        best = k;
        bestRate = rate;
        bestExpected = expected;
      }
    }
    const drafting = best > 0 && bestRate > (1 + DRAFT_MARGIN) / (overhead + one);
    const probed = this.probing;
    this.probing = false;
    if (probed) {
      this.draftProbeInterval = drafting
        ? DRAFT_PROBE_INTERVAL
        : Math.min(MAX_DRAFT_PROBE_INTERVAL, this.draftProbeInterval * 2);
    }
    if (drafting) return this.draftStreak >= PLAIN_PROBE_INTERVAL ? 0 : best;
    // Good odds but costs that say no: now and then measure a batch again, the load may have moved.
    if (best > 0 && bestExpected >= 2 && this.plainStreak >= this.draftProbeInterval) {
      this.probing = true;
      return best;
    }
    return 0;
  }
}

function bucketOf(offset: number): number {
  return Math.min(OFFSET_BUCKETS - 1, Math.max(0, Math.floor(offset)));
}

function smooth(previous: number | undefined, sample: number): number {
  if (previous === undefined) return sample;
  return previous + SMOOTHING * (Math.min(sample, COST_OUTLIER * previous) - previous);
}
