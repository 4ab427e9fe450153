import assert from "node:assert/strict";
import { PredictionCursor, type CursorObservation } from "../../../../inference/src/local/predictionCursor.js";

/** Token 0 is a newline: lines are runs of other tokens ending with it. */
const NL = 0;
const lines = (...rows: number[][]): number[] => rows.flatMap((row) => [...row, NL]);

describe("local engine prediction cursor", () => {
  it("proposes the prediction while the output follows it, never past its end", () => {
    const c = new PredictionCursor([1, 2, 3, 4, 5]);
    assert.deepEqual(c.upcoming(2), [1, 2]);
    c.push([1, 2]);
    assert.deepEqual(c.upcoming(10), [3, 4, 5], "only what is left of the prediction");
    c.push([3, 4, 5]);
    assert.deepEqual(c.upcoming(10), []);
    assert.equal(c.inStep, false, "nothing left to follow");
    c.push([6, 7, 8]);
    assert.deepEqual(c.upcoming(10), [], "output past the prediction's end proposes nothing");
  });

  it("counts the run of matched tokens, which restarts after a divergence", () => {
    const c = new PredictionCursor([1, 2, 3, 4, 5, 6]);
    c.push([1, 2, 3]);
    assert.equal(c.runLength, 3);
    c.push([9]);
    assert.equal(c.runLength, 0);
    c.push([5]);
    assert.equal(c.runLength, 1);
  });

  it("after a changed token, guesses a substitution and goes on with the prediction", () => {
    const c = new PredictionCursor([10, 11, 12, 13, 14, 15]);
    c.push([10, 99]);
    assert.equal(c.inStep, true);
    assert.deepEqual(c.upcoming(3), [12, 13, 14], "99 took the place of 11");
  });

  it("after a token changed into two, rejoins once the output is back on the prediction", () => {
    const c = new PredictionCursor([10, 11, 12, 13, 14, 15, 16]);
    c.push([10, 98, 99]);
    assert.deepEqual(c.upcoming(3), [], "out of step once the substitution guess is refuted");
    c.push([12, 13]);
    assert.deepEqual(c.upcoming(3), [], "two tokens back in step are not enough to rejoin");
    c.push([14]);
    assert.deepEqual(c.upcoming(3), [15, 16]);
  });

  it("after an inserted line, resumes at the line that follows it", () => {
    const prediction = lines([1, 2, 3], [4, 5, 6], [7, 8, 9]);
    const c = new PredictionCursor(prediction);
    c.push(lines([1, 2, 3], [50, 51, 52]));
    assert.deepEqual(c.upcoming(4), [], "out of step inside the inserted line");
    c.push([4]);
    assert.deepEqual(c.upcoming(4), [], "the newline and one token are not enough to rejoin");
    c.push([5]);
    assert.deepEqual(c.upcoming(4), [6, NL, 7, 8], "rejoined after the newline and the first two tokens of [4, 5, 6]");
  });

  it("after a deleted line, skips it in the prediction", () => {
    const prediction = lines([1, 2, 3], [4, 5, 6], [7, 8, 9], [1, 2, 3]);
    const c = new PredictionCursor(prediction);
    c.push([...lines([1, 2, 3]), 7, 8]);
    assert.deepEqual(c.upcoming(4), [9, NL, 1, 2], "[4, 5, 6] was deleted; the output goes on with [7, 8, 9]");
  });

  it("rejoins at the occurrence nearest after the last place in step, not an earlier repeat", () => {
    // The same line three times: after an inserted line the output must rejoin at the third copy
    // it has reached, not at the first.
    const prediction = lines([1, 2, 3], [4, 5], [1, 2, 3], [6, 7], [1, 2, 3], [8, 9]);
    const c = new PredictionCursor(prediction);
    c.push(lines([1, 2, 3], [4, 5], [1, 2, 3], [6, 7]));
    c.push([60, 61, NL, 1, 2]);
    assert.deepEqual(c.upcoming(4), [3, NL, 8, 9]);
  });

  it("proposes nothing while the output is unlike the prediction", () => {
    const c = new PredictionCursor([1, 2, 3, 4, 5]);
    c.push([7, 8, 9, 10, 11]);
    assert.equal(c.inStep, false);
    assert.deepEqual(c.upcoming(4), []);
  });

  it("does not rejoin on a single common token", () => {
    const c = new PredictionCursor(lines([1, 2, 3], [4, 5, 6]));
    c.push([1, 2, 3, 20, 21, NL]);
    assert.deepEqual(c.upcoming(3), [], "a newline alone does not say where the output is");
  });

  it("reports every comparison with its offset into the run, and none while out of step", () => {
    const seen: CursorObservation[] = [];
    const c = new PredictionCursor([1, 2, 3, 4, 5, 6, 7, 8], {}, (o) => seen.push(o));
    c.push([1, 2, 9, 4, 70, 71, 72]);
    assert.deepEqual(seen, [
      { offset: 0, matched: true },
      { offset: 1, matched: true },
      { offset: 2, matched: false },
      { offset: 0, matched: true }, // the substitution guess: 9 took the place of 3
      { offset: 1, matched: false },
      { offset: 0, matched: false }, // the second guess is refuted: out of step, 72 compared with nothing
    ]);
  });
});
