import assert from "node:assert/strict";
import { DraftPolicy, MAX_DRAFT } from "../../../../inference/src/local/draftPolicy.js";

/** Batch costs like a 2-vCPU CPU's with a small model: a batch costs about half a token per extra token. */
function cpu(policy: DraftPolicy): DraftPolicy {
  policy.observeOverhead(0.3);
  for (let size = 1; size <= MAX_DRAFT + 1; size++) policy.observeBatch(size, size === 1 ? 1 : 1.5 + 0.5 * size);
  return policy;
}

/** Batch costs like a GPU's: a batch of 33 costs little more than one token. */
function gpu(policy: DraftPolicy): DraftPolicy {
  policy.observeOverhead(0.3);
  for (let size = 1; size <= MAX_DRAFT + 1; size++) policy.observeBatch(size, 1 + 0.02 * size);
  return policy;
}

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
    const before = policy.draftLength(0, MAX_DRAFT);
    runs(policy, Infinity, 1);
    const after = policy.draftLength(200, MAX_DRAFT);
    assert.ok(before > 0, `a prediction is tried at first (${before})`);
    assert.ok(after > before, `${after} tokens after a long accepted run, ${before} before`);
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

  it("tries batch sizes it has not measured, then goes by what they cost", () => {
    const policy = new DraftPolicy();
    policy.observeOverhead(0.3);
    policy.observeBatch(1, 1);
    runs(policy, Infinity, 1);
    const tried = policy.draftLength(200, MAX_DRAFT);
    assert.equal(tried, MAX_DRAFT, "an untried size is assumed cheap");
    // It costs as much per token as plain steps: no gain over them.
    for (let i = 0; i < 10; i++) policy.observeBatch(tried + 1, 1.3 * (tried + 1));
    assert.ok(policy.draftLength(200, MAX_DRAFT) < tried);
  });

  it("is not ruled by one stalled step", () => {
    const policy = cpu(new DraftPolicy());
    const before = policy.batchCost(9);
    policy.observeBatch(9, 1000);
    assert.ok(policy.batchCost(9) <= 1.5 * before, `a batch of 9 now estimated at ${policy.batchCost(9)} ms`);
  });
});
