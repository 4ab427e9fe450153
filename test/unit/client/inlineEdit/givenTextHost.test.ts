import assert from "node:assert/strict";
import { givenTextHost } from "../../../../client/src/inlineEdit/givenTextHost.js";
import { replacementOf, requestEdit, type EditRequest } from "../../../../client/src/inlineEdit/host.js";
import { PendingEdit } from "../../../../client/src/inlineEdit/pendingEdit.js";

const params: EditRequest = {
  textDocument: { uri: "file:///w/a.ts", version: 3 },
  range: { start: { line: 1, character: 0 }, end: { line: 2, character: 0 } },
  instruction: "Apply from chat",
};

describe("given-text inline edit host", () => {
  it("streams the given text as one piece and answers it as the replacement of the requested range", async () => {
    const deltas: string[] = [];
    const result = await requestEdit(
      givenTextHost("const b = 2;\n"),
      params,
      () => undefined,
      (d) => deltas.push(d),
      { isCancellationRequested: false },
    );
    assert.deepEqual(deltas, ["const b = 2;\n"]);
    assert.equal(replacementOf(result, "file:///w/a.ts"), "const b = 2;\n");
    assert.equal(result.finishReason, "stop");
  });
  it("streams nothing once cancelled", async () => {
    const deltas: string[] = [];
    await givenTextHost("x\n").inlineEdit(params, (d) => deltas.push(d), { isCancellationRequested: true });
    assert.deepEqual(deltas, []);
  });
  it("gives a pending edit the hunks of the given text against the range", async () => {
    const model = new PendingEdit({ regionStart: 0, original: "const a = 1;\n", eol: "\n", firstHunkId: 1 });
    const result = await givenTextHost("const a = 2;\n").inlineEdit(params, (d) => model.pushDelta(d), {
      isCancellationRequested: false,
    });
    model.finish(replacementOf(result, "file:///w/a.ts"), false);
    assert.equal(model.proposal, "const a = 2;\n");
  });
});
