import assert from "node:assert/strict";
import { shortModelName, statusView } from "../../../client/src/statusView.js";

describe("client status view", () => {
  it("says ready once the host reports ready", () => {
    const view = statusView("running", { host: "ready", engine: { state: "none" } });
    assert.match(view.text, /Bora: ready · no model/);
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
    assert.match(view.text, /Bora: ready · tiny$/);
  });
  it("flags an engine error even when the host is ready", () => {
    const view = statusView("running", {
      host: "ready",
      engine: { state: "error", problem: { code: "modelMissing", message: "model missing" } },
    });
    assert.equal(view.error, true);
    assert.match(view.text, /\$\(warning\) Bora: ready · model error/);
    assert.match(view.tooltip, /model missing/);
  });
});

describe("shortModelName", () => {
  it("drops folders and the .gguf suffix", () => {
    assert.equal(shortModelName("/home/me/models/qwen2.5-coder-1.5b-q4_k_m.gguf"), "qwen2.5-coder-1.5b-q4_k_m");
    assert.equal(shortModelName("codestral-latest"), "codestral-latest");
  });
});
