import assert from "node:assert/strict";
import {
  AlignmentPolicy,
  CALIBRATION_PAIRS,
  EXPLORE_EVERY_FAR,
  EXPLORE_EVERY_MAX,
  EXPLORE_EVERY_MIN,
  FAR_APART,
  MIN_WINDOW_MS,
  ModeComparison,
  SETTLE_ROUNDS,
  WINDOW_ROUNDS,
  type AlignMode,
} from "../../../../inference/src/local/alignmentPolicy.js";

/** A seeded generator in [0, 1) (mulberry32), so that every noisy run is the same run. */
function seeded(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state + 0x6d2b79f5) | 0;
    let t = Math.imul(state ^ (state >>> 15), 1 | state);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

type Costs = Record<AlignMode, number>;

/**
 * Feeds `windows` windows whose cost is `costs[mode]` times uniform noise of ±`noise`; returns
 * how many ran in each mode.
 */
function feed(comparison: ModeComparison, costs: Costs, windows: number, noise = 0, random = seeded(1)): Costs {
  const ran: Costs = { aligned: 0, unaligned: 0 };
  for (let i = 0; i < windows; i++) {
    const mode = comparison.mode;
    ran[mode]++;
    comparison.windowDone(costs[mode] * (1 + noise * (2 * random() - 1)));
  }
  return ran;
}

/** Windows until `comparison.current` is `mode`, at most `limit`. */
function windowsUntil(comparison: ModeComparison, mode: AlignMode, costs: Costs, limit: number, noise = 0): number {
  const random = seeded(7);
  let n = 0;
  while (comparison.current !== mode && n < limit) {
    feed(comparison, costs, 1, noise, random);
    n++;
  }
  return n;
}

const ALIGNED_CHEAPER: Costs = { aligned: 10, unaligned: 12.5 };
const UNALIGNED_CHEAPER: Costs = { aligned: 12.5, unaligned: 10 };

describe("local engine alignment policy", () => {
  it("aligns where aligned steps are cheaper, starting from unaligned", () => {
    const comparison = new ModeComparison("unaligned");
    // Calibration alternates the modes: the first pairs decide.
    assert.ok(windowsUntil(comparison, "aligned", ALIGNED_CHEAPER, 100) <= 2 * CALIBRATION_PAIRS + 1);
    const ran = feed(comparison, ALIGNED_CHEAPER, 1000);
    assert.equal(comparison.current, "aligned");
    assert.ok(ran.unaligned <= 1000 / (EXPLORE_EVERY_MIN + 1), `${ran.unaligned} of 1000 windows unaligned`);
  });

  it("stops aligning where unaligned steps are cheaper (the 2-vCPU EPYC case)", () => {
    const comparison = new ModeComparison("aligned");
    assert.ok(windowsUntil(comparison, "unaligned", UNALIGNED_CHEAPER, 100) <= 2 * CALIBRATION_PAIRS + 1);
    const ran = feed(comparison, UNALIGNED_CHEAPER, 1000);
    assert.equal(comparison.current, "unaligned");
    assert.equal(comparison.decisions.switches, 1);
    // Explorations grow rare while they keep confirming the choice.
    assert.ok(ran.aligned <= 1000 / EXPLORE_EVERY_MAX + 3, `${ran.aligned} of 1000 windows still aligned`);
  });

  it("explores about one window in 129 where the other mode is far dearer, one in 33 where it is close", () => {
    const far = new ModeComparison("unaligned");
    feed(far, UNALIGNED_CHEAPER, 4000, 0.1);
    assert.ok(1.25 >= 1 + FAR_APART);
    const farBound = 4000 / (EXPLORE_EVERY_FAR + 1) + CALIBRATION_PAIRS + 3;
    assert.ok(far.decisions.explored <= farBound, `${far.decisions.explored} explorations (bound ${farBound})`);
    // 8% dearer: worth re-checking more often, since a load change can undo a gap that small.
    const close = new ModeComparison("unaligned");
    feed(close, { aligned: 10.8, unaligned: 10 }, 4000);
    assert.equal(close.current, "unaligned");
    const expected = 4000 / (EXPLORE_EVERY_MAX + 1);
    assert.ok(
      Math.abs(close.decisions.explored - expected) <= 8,
      `${close.decisions.explored} explorations (about ${Math.round(expected)})`,
    );
  });

  it("keeps the better mode through noisy windows instead of flapping", () => {
    for (const [costs, better] of [
      [ALIGNED_CHEAPER, "aligned"],
      [UNALIGNED_CHEAPER, "unaligned"],
    ] as const) {
      for (let seed = 1; seed <= 10; seed++) {
        const comparison = new ModeComparison("aligned");
        // ±15% per window: more than adjacent windows differ on a shared 2-vCPU VM.
        const ran = feed(comparison, costs, 2000, 0.15, seeded(seed));
        assert.equal(comparison.current, better, `seed ${seed}`);
        assert.ok(comparison.decisions.switches <= 2, `seed ${seed}: ${comparison.decisions.switches} switches`);
        assert.ok(ran[better] >= 0.93 * 2000, `seed ${seed}: ${ran[better]} of 2000 windows in the better mode`);
      }
    }
  });

  it("when the modes cost the same, switches seldom and explores a bounded share", () => {
    const comparison = new ModeComparison("aligned");
    const ran = feed(comparison, { aligned: 10, unaligned: 10 }, 2000, 0.15, seeded(3));
    assert.ok(comparison.decisions.switches <= 8, `${comparison.decisions.switches} switches in 2000 windows`);
    assert.ok(comparison.decisions.explored <= 2000 / (EXPLORE_EVERY_MIN + 1) + 2 * CALIBRATION_PAIRS);
    assert.equal(ran.aligned + ran.unaligned, 2000);
  });

  it("follows a load change back within a bounded number of windows", () => {
    const comparison = new ModeComparison("aligned");
    feed(comparison, UNALIGNED_CHEAPER, 1000);
    assert.equal(comparison.current, "unaligned");
    // Every exploration confirmed the choice, and the modes are far apart, so the next one is as far
    // off as it gets; the contrary evidence then has to outvote the old (six fresh ratios of seven,
    // see EVIDENCE).
    const bound = EXPLORE_EVERY_FAR + 2 + 6 * (EXPLORE_EVERY_MIN + 2);
    const back = windowsUntil(comparison, "aligned", ALIGNED_CHEAPER, 10_000);
    assert.ok(back <= bound, `${back} windows to switch back (bound ${bound})`);
    const again = windowsUntil(comparison, "unaligned", UNALIGNED_CHEAPER, 10_000, 0.1);
    assert.ok(again <= 2 * bound, `${again} windows to switch again, with noise`);
  });

  it("ignores a window that measured nothing usable", () => {
    const comparison = new ModeComparison("aligned");
    comparison.windowDone(0);
    comparison.windowDone(Number.NaN);
    comparison.windowDone(Number.POSITIVE_INFINITY);
    assert.equal(comparison.decisions.windows, 0);
  });
});

describe("local engine alignment policy windows", () => {
  /** Releases one round of `width` steps at each of `times`. */
  const rounds = (policy: AlignmentPolicy, width: number, times: readonly number[]): void => {
    for (const t of times) policy.released(width, width, t);
  };
  const every = (start: number, step: number, n: number): number[] =>
    Array.from({ length: n }, (_, i) => start + i * step);

  it("closes a window after enough rounds and enough time, at its measured cost per step", () => {
    const policy = new AlignmentPolicy("aligned");
    // The first release starts the window, SETTLE_ROUNDS more settle it, WINDOW_ROUNDS more measure.
    rounds(policy, 4, every(0, 20, SETTLE_ROUNDS + WINDOW_ROUNDS));
    assert.equal(policy.decisions.windows, 0, "the settling rounds do not count");
    rounds(policy, 4, [20 * (SETTLE_ROUNDS + WINDOW_ROUNDS)]);
    assert.equal(policy.decisions.windows, 1);
    // Calibration: the next window runs unaligned.
    assert.equal(policy.shouldAlign(4), false);
  });

  it("does not close a window shorter than the minimum time, however many steps", () => {
    const policy = new AlignmentPolicy("aligned");
    const step = MIN_WINDOW_MS / (4 * WINDOW_ROUNDS);
    rounds(policy, 4, every(0, step, SETTLE_ROUNDS + WINDOW_ROUNDS + 1));
    assert.equal(policy.decisions.windows, 0);
    rounds(policy, 4, every(MIN_WINDOW_MS * 2, step, 2));
    assert.equal(policy.decisions.windows, 1);
  });

  it("drops a window across a change of members, and keeps widths apart", () => {
    const policy = new AlignmentPolicy("aligned");
    const whole = SETTLE_ROUNDS + WINDOW_ROUNDS + 1;
    rounds(policy, 4, every(0, 20, whole - 1));
    policy.membersChanged();
    rounds(policy, 4, every(200, 20, whole - 1));
    assert.equal(policy.decisions.windows, 0, "neither half was a whole window");
    rounds(policy, 3, every(400, 20, whole));
    assert.equal(policy.decisions.windows, 1);
    assert.equal(policy.shouldAlign(3), false, "width 3 calibrates");
    assert.equal(policy.shouldAlign(4), true, "width 4 has measured nothing yet");
  });

  it("always aligns a lone sequence and measures nothing for it", () => {
    const policy = new AlignmentPolicy("unaligned");
    assert.equal(policy.shouldAlign(1), true);
    for (const t of every(0, 100, 50)) policy.released(1, 1, t);
    assert.equal(policy.decisions.windows, 0);
  });

  it("learns from released steps which mode is cheaper", () => {
    const policy = new AlignmentPolicy("aligned");
    // A synthetic clock: a round of 4 steps takes 60 ms aligned and 45 ms unaligned.
    let now = 0;
    for (let i = 0; i < 400; i++) {
      now += policy.shouldAlign(4) ? 60 : 45;
      policy.released(4, 4, now);
    }
    assert.equal(policy.current(4), "unaligned");
    assert.equal(policy.decisions.switches, 1);
    // A width not measured yet starts from the nearest measured one's choice.
    assert.equal(policy.shouldAlign(3), false);
  });

  it("does not measure the rounds right after a change of mode", () => {
    const policy = new AlignmentPolicy("aligned");
    // Aligned rounds take 40 ms. Unaligned ones take 20 ms once the sequences have drifted apart,
    // but 200 ms in the first rounds after a change, while they are still in step: counted, those
    // would make unaligned look twice as dear ((2 × 200 + 4 × 20) / 6 rounds), and keep it aligned.
    let now = 0;
    let last: boolean | undefined;
    let sinceChange = 0;
    for (let i = 0; i < 400; i++) {
      const align = policy.shouldAlign(4);
      sinceChange = align === last ? sinceChange + 1 : 0;
      last = align;
      now += align ? 40 : sinceChange < 2 ? 200 : 20;
      policy.released(4, 4, now);
    }
    assert.equal(policy.current(4), "unaligned");
  });
});
