import assert from "node:assert/strict";
import type { InlineEditResult } from "@bora/protocol";
import {
  CONTENT_MODIFIED,
  replacementOf,
  requestEdit,
  type EditRequest,
  type InlineEditHost,
} from "../../../../client/src/inlineEdit/host.js";

const URI = "file:///w/a.ts";
const range = { start: { line: 0, character: 0 }, end: { line: 1, character: 0 } };
const params = (version: number): EditRequest => ({ textDocument: { uri: URI, version }, range, instruction: "x" });

function result(text: string): InlineEditResult {
  return {
    edit: { documentChanges: [{ textDocument: { uri: URI, version: 3 }, edits: [{ range, newText: text }] }] },
    finishReason: "stop",
    stats: { promptTokens: 1, generatedTokens: 1, predictedTokensAccepted: 0, ms: 1 },
  };
}

/** A host that refuses versions other than `current` with ContentModified, as the real one does. */
function fakeHost(current: number, sent: number[]): InlineEditHost {
  return {
    inlineEdit: async (p, onDelta) => {
      sent.push(p.textDocument.version);
      if (p.textDocument.version !== current) throw Object.assign(new Error("stale"), { code: CONTENT_MODIFIED });
      onDelta("a\n");
      return result("a\n");
    },
  };
}

const token = { isCancellationRequested: false };

describe("inline edit host calls", () => {
  it("retries once with the current version when the host says the content changed", async () => {
    const sent: number[] = [];
    const deltas: string[] = [];
    const answer = await requestEdit(
      fakeHost(5, sent),
      params(4),
      () => params(5),
      (d) => deltas.push(d),
      token,
    );
    assert.deepEqual(sent, [4, 5]);
    assert.deepEqual(deltas, ["a\n"]);
    assert.equal(replacementOf(answer, URI), "a\n");
  });
  it("gives up after the one retry", async () => {
    const sent: number[] = [];
    await assert.rejects(
      requestEdit(
        fakeHost(9, sent),
        params(4),
        () => params(5),
        () => {},
        token,
      ),
      /stale/,
    );
    assert.deepEqual(sent, [4, 5]);
  });
  it("does not retry when the range itself changed", async () => {
    const sent: number[] = [];
    await assert.rejects(
      requestEdit(
        fakeHost(5, sent),
        params(4),
        () => undefined,
        () => {},
        token,
      ),
      /stale/,
    );
    assert.deepEqual(sent, [4]);
  });
  it("does not retry other errors", async () => {
    let calls = 0;
    const host: InlineEditHost = {
      inlineEdit: () => {
        calls++;
        return Promise.reject(Object.assign(new Error("too large"), { code: -32803 }));
      },
    };
    await assert.rejects(
      requestEdit(
        host,
        params(1),
        () => params(2),
        () => {},
        token,
      ),
      /too large/,
    );
    assert.equal(calls, 1);
  });
  it("finds the replacement in the answer's edit for the document only", () => {
    assert.equal(replacementOf(result("b"), URI), "b");
    assert.equal(replacementOf(result("b"), "file:///other.ts"), undefined);
    assert.equal(replacementOf({ ...result(""), edit: { changes: { [URI]: [{ range, newText: "c" }] } } }, URI), "c");
  });
});
