import assert from "node:assert/strict";
import { LatestPerDocument, debounceDelay } from "../../../../server/src/completions/requestRules.js";

describe("completion request rules", () => {
  it("debounces what the editor asks for as the user types, not what the user invoked", () => {
    assert.equal(debounceDelay("automatic", 50), 50);
    assert.equal(debounceDelay("invoked", 50), 0);
    assert.equal(debounceDelay("automatic", 0), 0);
  });

  it("a newer request for a document aborts the older one, not another document's", () => {
    const latest = new LatestPerDocument();
    const a1 = latest.start("a");
    const b1 = latest.start("b");
    const a2 = latest.start("a");
    assert.equal(a1.signal.aborted, true);
    assert.equal(b1.signal.aborted, false);
    assert.equal(a2.signal.aborted, false);
    a1.finish();
    assert.equal(latest.size, 2, "the older request finishing does not forget the newer");
    a2.finish();
    b1.finish();
    assert.equal(latest.size, 0);
  });

  it("the caller's signal aborts the request too", () => {
    const latest = new LatestPerDocument();
    const caller = new AbortController();
    const run = latest.start("a", caller.signal);
    caller.abort();
    assert.equal(run.signal.aborted, true);
    run.finish();
    const already = latest.start("a", AbortSignal.abort());
    assert.equal(already.signal.aborted, true);
    already.finish();
  });
});
