import assert from "node:assert/strict";
import { DraftPolicy, MAX_DRAFT } from "../../../../inference/src/local/draftPolicy.js";

/**
 * Measured steps: a plain one at `plain` ms, and batches of every size, in a spread order as a
 * real edit's would come, at `batch(size)` ms.
 */
function measured(policy: DraftPolicy, plain: number, batch: (size: number) => number): DraftPolicy {
  policy.observeOverhead(0.3);
  policy.observeBatch(1, plain);
  for (let i = 0; i < 64; i++) {
    const size = 2 + ((i * 7) % MAX_DRAFT);
    policy.observeBatch(size, batch(size));
  }
  return policy;
}

/** Costs like a 2-vCPU CPU's with a small model: a batch costs about half a plain step per token. */
const cpu = (policy: DraftPolicy): DraftPolicy => measured(policy, 1, (size) => 1.5 + 0.5 * size);

/** Costs like a GPU's: a batch of 33 costs little more than one token. */
const gpu = (policy: DraftPolicy): DraftPolicy => measured(policy, 1, (size) => 1 + 0.02 * size);

/** Feeds runs of `length` matched tokens, each ended by a refused one (`Infinity`: never ended). */
function runs(policy: DraftPolicy, length: number, count: number): DraftPolicy {
  for (let r = 0; r < count; r++) {
    for (let offset = 0; offset < Math.min(length, 200); offset++) policy.observeToken(offset, true);
    if (Number.isFinite(length)) policy.observeToken(length, false);
  }
  return policy;
}

describe("local engine draft policy", () => {
  it("measures a plain step before proposing anything", () => {
    const policy = new DraftPolicy();
    runs(policy, Infinity, 1);
    assert.equal(policy.draftLength(100, 32), 0);
    policy.observeBatch(1, 1);
    assert.ok(policy.draftLength(100, 32) > 0);
  });

  it("grows the draft after acceptances", () => {
    const policy = cpu(new DraftPolicy());
    for (let offset = 0; offset < 4; offset++) policy.observeToken(offset, true);
    const early = policy.draftLength(4, MAX_DRAFT);
    for (let offset = 4; offset < 100; offset++) policy.observeToken(offset, true);
    const late = policy.draftLength(100, MAX_DRAFT);
    assert.ok(early > 0, `a prediction four tokens in step is tried (${early})`);
    assert.ok(late > early, `${late} tokens after 100 accepted, ${early} after 4`);
  });

  it("learns the odds from plain steps too, before drafting anything", () => {
    const policy = cpu(new DraftPolicy());
    assert.equal(policy.draftLength(0, MAX_DRAFT), 0, "the prior odds alone do not pay for a CPU batch");
    for (let offset = 0; offset < 4; offset++) policy.observeToken(offset, true);
    assert.ok(policy.draftLength(4, MAX_DRAFT) > 0);
  });

  it("shrinks the draft after rejections", () => {
    const policy = cpu(new DraftPolicy());
    runs(policy, Infinity, 1);
    const before = policy.draftLength(200, MAX_DRAFT);
    // An edit that rewrites every other token: runs of one.
    runs(policy, 1, 100);
    const after = policy.draftLength(0, MAX_DRAFT);
    assert.ok(after < before && after <= 2, `${after} tokens after rejections, ${before} before`);
  });

  it("proposes nothing while the prediction is mostly refused", () => {
    const policy = cpu(new DraftPolicy());
    runs(policy, 0, 60);
    assert.equal(policy.draftLength(0, MAX_DRAFT), 0);
  });

  it("stops the draft just before the offset where the prediction keeps being refused", () => {
    // A prediction wrong every fifth token: four accepted, then the fifth refused, over and over.
    const policy = cpu(new DraftPolicy());
    runs(policy, 4, 30);
    assert.equal(policy.draftLength(0, MAX_DRAFT), 4);
    assert.equal(policy.draftLength(2, MAX_DRAFT), 2, "half-way into a run, only what is left of it");
    const cheap = runs(gpu(new DraftPolicy()), 4, 30);
    assert.equal(cheap.draftLength(0, MAX_DRAFT), 4, "nor past it where batches cost next to nothing");
  });

  it("drafts long where batches are cheap, even at middling odds, and short where they are not", () => {
    const cheap = runs(gpu(new DraftPolicy()), 3, 40);
    const dear = runs(cpu(new DraftPolicy()), 3, 40);
    assert.ok(cheap.draftLength(0, MAX_DRAFT) >= 3);
    assert.ok(dear.draftLength(0, MAX_DRAFT) <= 3);
    const sure = runs(gpu(new DraftPolicy()), Infinity, 1);
    assert.equal(sure.draftLength(200, MAX_DRAFT), MAX_DRAFT);
  });

  it("never proposes more than is available", () => {
    const policy = runs(gpu(new DraftPolicy()), Infinity, 1);
    assert.equal(policy.draftLength(200, 5), 5);
    assert.equal(policy.draftLength(200, 0), 0);
  });

  it("tries long batches before it has measured them, then goes by what they cost", () => {
    const policy = new DraftPolicy();
    policy.observeOverhead(0.3);
    policy.observeBatch(1, 1);
    runs(policy, Infinity, 1);
    const tried = policy.draftLength(200, MAX_DRAFT);
    assert.equal(tried, MAX_DRAFT, "an unmeasured batch is assumed cheap");
    // It costs as much per token as plain steps: no gain over them.
    for (let i = 0; i < 10; i++) policy.observeBatch(tried + 1, 1.3 * (tried + 1));
    assert.ok(policy.draftLength(200, MAX_DRAFT) < tried / 2);
  });

  it("does not take a long draft for free when a single batch size was measured", () => {
    // Runs of four; one batch of 12 was measured, dear. Longer batches must not look as cheap.
    const policy = runs(new DraftPolicy(), 4, 30);
    policy.observeOverhead(0.3);
    policy.observeBatch(1, 1);
    policy.observeBatch(12, 8);
    assert.ok(policy.batchCost(33) > policy.batchCost(12) + 2, `a batch of 33 estimated at ${policy.batchCost(33)} ms`);
    assert.ok(policy.draftLength(0, MAX_DRAFT) <= 4);
  });

  it("re-measures a plain step now and then while drafting", () => {
    const policy = runs(gpu(new DraftPolicy()), Infinity, 1);
    const steps = Array.from({ length: 100 }, () => policy.draftLength(200, MAX_DRAFT));
    const plain = steps.filter((k) => k === 0).length;
    assert.ok(plain >= 2 && plain <= 4, `${plain} plain steps in 100`);
  });

  it("probes a draft now and then while batches look too dear, less often each time it loses", () => {
    const policy = cpu(new DraftPolicy());
    for (let i = 0; i < 64; i++) policy.observeBatch(2 + ((i * 7) % MAX_DRAFT), 3 * (2 + ((i * 7) % MAX_DRAFT)));
    runs(policy, Infinity, 1);
    const steps = Array.from({ length: 200 }, () => policy.draftLength(200, MAX_DRAFT));
    const probes = steps.flatMap((k, i) => (k > 0 ? [i] : []));
    assert.ok(probes.length >= 2 && probes.length <= 5, `probes at steps ${probes.join(", ")}`);
    const gaps = probes.slice(1).map((p, i) => p - (probes[i] as number));
    assert.ok(
      gaps.every((gap, i) => i === 0 || gap > (gaps[i - 1] as number)),
      `gaps ${gaps.join(", ")} grow`,
    );
  });

  it("is not ruled by a few stalled plain steps", () => {
    const policy = cpu(new DraftPolicy());
    for (let i = 0; i < 6; i++) policy.observeBatch(1, 1);
    policy.observeBatch(1, 8);
    policy.observeBatch(1, 6);
    assert.equal(policy.batchCost(1), 1);
  });

  it("is not ruled by one stalled step", () => {
    const policy = cpu(new DraftPolicy());
    const before = policy.batchCost(9);
    policy.observeBatch(9, 1000);
    assert.ok(policy.batchCost(9) <= 1.5 * before, `a batch of 9 now estimated at ${policy.batchCost(9)} ms`);
  });
});
