import assert from "node:assert/strict";
import {
  LatestPerDocument,
  MAX_RHYTHM_DEBOUNCE_MS,
  debounceDelay,
} from "../../../../server/src/completions/requestRules.js";

describe("completion request rules", () => {
  it("debounces what the editor asks for as the user types, not what the user invoked", () => {
    assert.equal(debounceDelay("automatic", 50), 50);
    assert.equal(debounceDelay("invoked", 50), 0);
    assert.equal(debounceDelay("automatic", 0), 0);
  });

  it("waits a little longer than the gap between fast keystrokes, so that typing on starts no model work", () => {
    assert.equal(debounceDelay("automatic", 50, 80), 100, "80 ms keystrokes: the next one comes first");
    assert.equal(debounceDelay("automatic", 50, 20), 50, "never less than the set debounce");
    assert.equal(debounceDelay("automatic", 200, 80), 200);
    assert.equal(debounceDelay("invoked", 50, 80), 0, "the user asked: no keystroke is coming");
  });

  it("takes a longer gap for a pause, not a rhythm, and the first request has none", () => {
    assert.equal(debounceDelay("automatic", 50, 800), 50);
    assert.equal(debounceDelay("automatic", 50, (MAX_RHYTHM_DEBOUNCE_MS + 1) / 1.25), 50);
    assert.equal(debounceDelay("automatic", 50, undefined), 50);
  });

  it("tells the gap since the document's previous request, per document, and forgets a closed one", () => {
    const latest = new LatestPerDocument();
    assert.equal(latest.arrived("a", 1000), undefined);
    assert.equal(latest.arrived("b", 1050), undefined);
    assert.equal(latest.arrived("a", 1080), 80);
    latest.forget("a");
    assert.equal(latest.arrived("a", 1200), undefined);
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
