/**
 * Whether the step aligner (see `stepAligner.ts`) should line up the generating sequences' decode
 * steps, decided from what each mode measurably costs on this machine; pure, so that it is tested
 * with synthetic costs and no native code.
 *
 * Why measured: aligning trades a short wait for fuller batches. Where a wider batch costs little
 * more than a narrow one (a GPU, a memory-bound CPU) that wins, 2–8% on a Sapphire Rapids VM; on a
 * 2-vCPU AMD EPYC it lost up to a quarter of the aggregate throughput (62–71 against 75–85 tok/s
 * for four sequences on the 0.5B shape), because a four-wide batch costs about four single steps
 * there and the wait for the last sequence is pure loss. No fixed choice is right on both, and a
 * shared machine's load moves the balance, so the choice is an online comparison:
 *
 * - time is cut into windows of a few rounds of steps at one width (number of generating
 *   sequences); a window's cost is its wall time per step released, the inverse of the aggregate
 *   tokens per second of all generating sequences;
 * - now and then a window runs in the other mode, and its cost is divided by the mean of the
 *   current mode's windows just before and just after it: a paired ratio, so that a load change
 *   that hits both sides over a few hundred milliseconds does not decide the comparison;
 * - the mode switches when the median of the last few ratios says the other mode is cheaper by a
 *   margin (hysteresis: one lucky window never switches, and after a switch the same evidence,
 *   inverted, argues against switching back until new windows outvote it);
 * - explorations come every few windows at first, and ever more rarely while they keep confirming
 *   the current mode (rarest when the other mode is far dearer), so their cost is bounded and
 *   small; one that doubts the current mode brings the next one closer, so a load change is
 *   followed within a bounded number of windows.
 *
 * Each width has its own comparison: two sequences and four differ in what a wait and a wider batch
 * cost, and windows of different widths are not comparable.
 */

export type AlignMode = "aligned" | "unaligned";

/**
 * Steps per window per generating sequence: four rounds, so a window spans several batches (one
 * batch's timing says little: sampling and the event loop jitter by a millisecond or more) and
 * still closes within a fraction of a second on a 0.5B model (about 50 ms a round on 2 vCPUs).
 */
export const WINDOW_ROUNDS = 4;

/**
 * A window also lasts at least this long: on a tiny model a round takes a millisecond or two, and
 * timer granularity and the event loop would dominate a shorter window's cost.
 */
export const MIN_WINDOW_MS = 50;

/**
 * Rounds after a change of mode or of members that no window measures: sequences released one by one drift
 * apart over the first rounds after lined-up ones (and fall into line in one round the other
 * way); a window taken across that transition measured the unaligned mode 20% dearer than it runs
 * (on the 2-vCPU EPYC, where unaligned runs 20% cheaper), and kept the wrong mode.
 */
export const SETTLE_ROUNDS = 2;

/**
 * Paired ratios gathered by alternating the modes, window by window, before exploration slows
 * down: three pairs are enough to see a 10% gap through the ±20% noise of one window on a shared
 * VM, and cost three windows in the worse mode at most.
 */
export const CALIBRATION_PAIRS = 3;

/** Ratios kept as evidence (a median of five outvotes two stray windows). */
export const EVIDENCE = 7;

/** One-sided z of the confidence bound in `otherIsCheaper` (1.64: 95%). */
export const CONFIDENCE_Z = 1.64;

/**
 * The other mode must be this much cheaper per step (median ratio below 1 − margin) to switch:
 * below a few percent the two modes are a tie within the noise, and switching buys nothing.
 */
export const SWITCH_MARGIN = 0.03;

/**
 * Windows in the current mode between two explorations: at least this many, so exploration takes
 * at most one window in nine (≈11%, and at most that share of the gap between the modes);
 * the interval doubles whenever an exploration confirms the current mode, up to the maximum
 * (one window in 33, ≈3%), and falls back to the minimum when one doubts it.
 */
export const EXPLORE_EVERY_MIN = 8;
export const EXPLORE_EVERY_MAX = 32;

/**
 * Where the evidence puts the other mode this much dearer (median ratio at least 1 + this), the
 * interval goes straight to `EXPLORE_EVERY_FAR`. An exploration costs about one and a half windows
 * at the gap (its window and the rounds that settle around it), so at the 2-vCPU EPYC's 25% gap
 * one in 33 windows still cost about 1.1% of the throughput, the larger part of what the measured
 * choice lost to the better fixed mode in `parallel4`. A gap that large is the machine's (a
 * compute-bound batch), not a passing load, so re-checking it every 129 windows (about 25 s of four
 * sequences on a 0.5B model there, a few seconds on a GPU) costs about 0.3% and still follows a change.
 */
export const FAR_APART = 0.15;
export const EXPLORE_EVERY_FAR = 128;

/**
 * The mode a new engine starts in, until windows say otherwise. Unaligned, because it has the
 * smaller worst case while the policy learns: where aligning wins it wins 2–8%, where it loses it
 * loses up to a quarter (both from the measurements above). Started aligned, the first seconds of
 * every engine on such a CPU ran at that loss: `parallel4`'s short run gave 0.81 of unaligned.
 */
export const START_MODE: AlignMode = "unaligned";

/** What the policy has done so far, for status and tests. */
export interface AlignmentDecisions {
  /** Windows measured, summed over widths. */
  windows: number;
  /** Of those, windows run in the mode that was not the current one. */
  explored: number;
  /** Changes of the current mode. */
  switches: number;
}

const other = (mode: AlignMode): AlignMode => (mode === "aligned" ? "unaligned" : "aligned");

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? NaN;
}

/** The comparison for one width, fed one window cost at a time. */
export class ModeComparison {
  private currentMode: AlignMode;
  private nextMode: AlignMode;
  /** Cost of the other mode ÷ cost of the current one, newest last. */
  private ratios: number[] = [];
  /** The latest window in the current mode. */
  private lastCurrent: number | undefined;
  /** An exploration waiting for the current-mode window after it. */
  private pending: { cost: number; before: number } | undefined;
  private sinceExplored = 0;
  private interval = EXPLORE_EVERY_MIN;
  readonly decisions: AlignmentDecisions = { windows: 0, explored: 0, switches: 0 };

  constructor(initial: AlignMode = START_MODE) {
    this.currentMode = initial;
    this.nextMode = initial;
  }

  /** The mode the policy believes cheaper. */
  get current(): AlignMode {
    return this.currentMode;
  }

  /** The mode the next window runs in. */
  get mode(): AlignMode {
    return this.nextMode;
  }

  /** A window run in `this.mode` has ended; `cost`: its milliseconds per step. */
  windowDone(cost: number): void {
    if (!(cost > 0) || !Number.isFinite(cost)) return;
    this.decisions.windows++;
    if (this.nextMode === this.currentMode) {
      const explored = this.pending;
      this.pending = undefined;
      this.lastCurrent = cost;
      this.sinceExplored++;
      if (explored !== undefined) this.compare(explored.cost / ((explored.before + cost) / 2));
    } else {
      this.decisions.explored++;
      this.sinceExplored = 0;
      if (this.lastCurrent !== undefined) this.pending = { cost, before: this.lastCurrent };
    }
    this.nextMode = this.chooseNext();
  }

  private chooseNext(): AlignMode {
    // An exploration is always followed by a current-mode window, the other half of its pair.
    if (this.pending !== undefined || this.lastCurrent === undefined) return this.currentMode;
    const due = this.ratios.length < CALIBRATION_PAIRS ? 1 : this.interval;
    return this.sinceExplored >= due ? other(this.currentMode) : this.currentMode;
  }

  /**
   * The evidence says the other mode is cheaper: by the margin in the median, and beyond doubt in
   * the mean of the log ratios (its one-sided confidence bound below zero), so that a noisy
   * machine where the modes are close does not switch on a lucky run of windows.
   */
  private otherIsCheaper(): boolean {
    if (median(this.ratios) >= 1 - SWITCH_MARGIN) return false;
    const logs = this.ratios.map(Math.log);
    const n = logs.length;
    const mean = logs.reduce((a, b) => a + b, 0) / n;
    const variance = logs.reduce((a, b) => a + (b - mean) ** 2, 0) / (n - 1);
    return mean + CONFIDENCE_Z * Math.sqrt(variance / n) < 0;
  }

  private compare(ratio: number): void {
    this.ratios.push(ratio);
    if (this.ratios.length > EVIDENCE) this.ratios.shift();
    if (this.ratios.length >= CALIBRATION_PAIRS && this.otherIsCheaper()) {
      this.currentMode = other(this.currentMode);
      this.decisions.switches++;
      // The same evidence, seen from the new side: switching back takes new windows that outvote it.
      this.ratios = this.ratios.map((r) => 1 / r);
      // The explored window just measured the new current mode; the next exploration pairs with it.
      this.lastCurrent = undefined;
      this.sinceExplored = 0;
      this.interval = EXPLORE_EVERY_MIN;
    } else if (ratio >= 1 + SWITCH_MARGIN) {
      const farApart = this.ratios.length >= CALIBRATION_PAIRS && median(this.ratios) >= 1 + FAR_APART;
      this.interval = farApart ? EXPLORE_EVERY_FAR : Math.min(EXPLORE_EVERY_MAX, this.interval * 2);
    } else {
      this.interval = EXPLORE_EVERY_MIN;
    }
  }
}

/**
 * Cuts the stream of released steps into windows and keeps one comparison per width. The aligner
 * asks `shouldAlign(width)` before releasing steps and reports each release; it calls
 * `membersChanged()` when a sequence starts or stops generating, since a window across such a
 * change (a prefill, a request's end) measures the change, not the mode.
 */
export class AlignmentPolicy {
  private readonly byWidth = new Map<number, ModeComparison>();
  private window: { width: number; mode: AlignMode; started: number; steps: number; settling: number } | undefined;

  constructor(private readonly initial: AlignMode = START_MODE) {}

  /** Whether steps released now at `width` generating sequences should be lined up. */
  shouldAlign(width: number): boolean {
    // One sequence has nobody to wait for: both modes release its step at once.
    if (width < 2) return true;
    return this.comparison(width).mode === "aligned";
  }

  /** `steps` steps were released at `nowMs`, with `width` sequences generating. */
  released(steps: number, width: number, nowMs: number): void {
    if (width < 2) {
      this.window = undefined;
      return;
    }
    const comparison = this.comparison(width);
    const window = this.window;
    if (window === undefined || window.width !== width) {
      // The steps released now close the gap before them, which belongs to no window; the first
      // rounds after members change carry the newcomers' prompt tails, which no mode decides.
      this.window = { width, mode: comparison.mode, started: nowMs, steps: 0, settling: SETTLE_ROUNDS * width };
      return;
    }
    if (window.settling > 0) {
      window.settling -= steps;
      if (window.settling <= 0) Object.assign(window, { started: nowMs, steps: 0, settling: 0 });
      return;
    }
    window.steps += steps;
    const elapsed = nowMs - window.started;
    if (window.steps < WINDOW_ROUNDS * width || elapsed < MIN_WINDOW_MS) return;
    comparison.windowDone(elapsed / window.steps);
    const settling = comparison.mode !== window.mode ? SETTLE_ROUNDS * width : 0;
    this.window = { width, mode: comparison.mode, started: nowMs, steps: 0, settling };
  }

  membersChanged(): void {
    this.window = undefined;
  }

  /** The mode currently believed cheaper at `width`, for status. */
  current(width: number): AlignMode {
    return this.byWidth.get(width)?.current ?? this.initial;
  }

  /** Totals over every width. */
  get decisions(): AlignmentDecisions {
    const total: AlignmentDecisions = { windows: 0, explored: 0, switches: 0 };
    for (const comparison of this.byWidth.values()) {
      total.windows += comparison.decisions.windows;
      total.explored += comparison.decisions.explored;
      total.switches += comparison.decisions.switches;
    }
    return total;
  }

  private comparison(width: number): ModeComparison {
    let comparison = this.byWidth.get(width);
    if (comparison === undefined) {
      // A new width starts from the nearest measured width's choice rather than the default: the
      // machine is the same, and short phases (the last steps of requests ending one by one)
      // rarely last long enough to be measured on their own.
      let nearest: ModeComparison | undefined;
      let distance = Infinity;
      for (const [w, c] of this.byWidth) {
        if (c.decisions.windows > 0 && Math.abs(w - width) < distance) [nearest, distance] = [c, Math.abs(w - width)];
      }
      comparison = new ModeComparison(nearest?.current ?? this.initial);
      this.byWidth.set(width, comparison);
    }
    return comparison;
  }
}
