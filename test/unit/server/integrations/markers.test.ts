import assert from "node:assert/strict";
import { hasMarker, withMarker, writeMarker } from "../../../../server/src/integrations/markers.js";

describe("write-back markers", function () {
  it("writes the hidden HTML comment the issue names", function () {
    assert.equal(writeMarker("t-1a2b", "comment"), "<!-- bora:t-1a2b:comment -->");
  });

  it("finds its own marker in a body", function () {
    assert.ok(hasMarker(`Opened the PR.\n\n${writeMarker("A", "X")}`, "A", "X"));
  });

  it("does not find task A step X in text marked with task A step Y", function () {
    assert.equal(hasMarker(writeMarker("A", "Y"), "A", "X"), false);
  });

  it("does not find task A step X in text marked with task AB step X, nor task B with task AB", function () {
    assert.equal(hasMarker(writeMarker("AB", "X"), "A", "X"), false);
    assert.equal(hasMarker(writeMarker("AB", "X"), "B", "X"), false);
    assert.equal(hasMarker(writeMarker("A", "XY"), "A", "X"), false);
  });

  it("refuses parts that could make two pairs write one marker or end the comment", function () {
    assert.throws(() => writeMarker("a:b", "c"), /task id/);
    assert.throws(() => writeMarker("a", "b:c"), /step/);
    assert.throws(() => writeMarker("a", "x -->"), /step/);
    assert.throws(() => writeMarker("", "x"), /task id/);
  });

  it("adds the marker once, on its own line", function () {
    const once = withMarker("Body", "A", "X");
    assert.equal(once, "Body\n\n<!-- bora:A:X -->");
    assert.equal(withMarker(once, "A", "X"), once);
    assert.equal(withMarker("", "A", "X"), "<!-- bora:A:X -->");
  });

  it("answers false for missing text", function () {
    assert.equal(hasMarker(undefined, "A", "X"), false);
    assert.equal(hasMarker(null, "A", "X"), false);
  });
});
