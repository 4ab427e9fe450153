import assert from "node:assert/strict";
import { statusView } from "../../../client/src/statusView.js";

describe("client status view", () => {
  it("says ready once the host reports ready", () => {
    const view = statusView("running", { host: "ready", engine: { state: "none" } });
    assert.match(view.text, /Bora: ready/);
    assert.match(view.tooltip, /No model configured/);
    assert.equal(view.error, false);
  });
  it("shows starting until the first status arrives", () => {
    assert.match(statusView("running", undefined).text, /starting/);
  });
  it("points a crashed host at the logs", () => {
    const view = statusView("crashed", undefined);
    assert.match(view.text, /host stopped/);
    assert.equal(view.command, "bora.showLogs");
    assert.equal(view.error, true);
  });
  it("puts engine details in the tooltip", () => {
    const view = statusView("running", {
      host: "ready",
      engine: { state: "ready", kind: "local", model: "tiny.gguf", lastTokensPerSecond: 41.26 },
    });
    assert.match(view.tooltip, /Engine: ready \(tiny\.gguf\), 41\.3 tok\/s/);
  });
  it("flags an engine error even when the host is ready", () => {
    const view = statusView("running", { host: "ready", engine: { state: "error", error: "model missing" } });
    assert.equal(view.error, true);
    assert.match(view.tooltip, /model missing/);
  });
});
