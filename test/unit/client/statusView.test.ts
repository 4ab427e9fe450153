import assert from "node:assert/strict";
import type { EngineStatus, HostState, StatusParams } from "@bora/protocol";
import { BORA_COMMANDS, OPEN_SETTINGS } from "../../../client/src/commandIds.js";
import { shortModelName, statusView, tooltipMarkdown, type StatusView } from "../../../client/src/statusView.js";

const running = (engine: EngineStatus, host: HostState = "ready", message?: string): StatusView =>
  statusView("running", { host, engine, ...(message !== undefined ? { message } : {}) } satisfies StatusParams);

describe("client status view", () => {
  describe("which host", () => {
    const ready: StatusParams = { host: "ready", engine: { state: "ready", model: "/m/qwen.gguf" } };
    it("names a remote host in the text and the tooltip", () => {
      const view = statusView("running", ready, { host: "remote devbox:7007" });
      assert.equal(view.text, "$(check) Bora: ready · qwen · remote devbox:7007");
      assert.match(view.tooltip, /^Agent host: remote devbox:7007\n/);
    });
    it("says nothing of the host when it is the bundled one", () => {
      assert.doesNotMatch(statusView("running", ready).text, /remote/);
    });
    it("says a remote host is disconnected, not stopped, with retry a link away", () => {
      const view = statusView("crashed", undefined, { host: "remote devbox:7007" });
      assert.equal(view.text, "$(debug-disconnect) Bora: disconnected · remote devbox:7007");
      assert.match(view.tooltip, /Not connected to the agent host \(remote devbox:7007\)/);
      assert.equal(view.error, true);
      assert.ok(view.actions.some((action) => action.command === "bora.restartHost"));
    });
    it("names the remote host while connecting", () => {
      assert.match(
        statusView("starting", undefined, { host: "remote devbox:7007" }).text,
        /Bora: starting · remote devbox:7007/,
      );
    });
  });

  describe("client phases", () => {
    it("shows starting until the first status arrives", () => {
      assert.match(statusView("running", undefined).text, /starting/);
      const view = statusView("starting", undefined);
      assert.match(view.text, /\$\(sync~spin\) Bora: starting/);
      assert.equal(view.click.command, BORA_COMMANDS.showLogs.id);
    });
    it("points a crashed host at the logs, with a restart one link away", () => {
      const view = statusView("crashed", undefined);
      assert.match(view.text, /host stopped/);
      assert.equal(view.click.command, "bora.showLogs");
      assert.equal(view.error, true);
      assert.deepEqual(
        view.actions.map((action) => action.command),
        ["bora.showLogs", "bora.restartHost"],
      );
    });
    it("starts a stopped host on a click", () => {
      const view = statusView("stopped", undefined);
      assert.match(view.text, /Bora: off/);
      assert.equal(view.click.command, "bora.restartHost");
      assert.equal(view.error, false);
    });
    it("ignores a status that arrived for a host that has since stopped", () => {
      const view = statusView("stopped", { host: "ready", engine: { state: "ready", model: "m" } });
      assert.match(view.text, /Bora: off/);
    });
  });

  describe("host states", () => {
    it("flags a degraded host and says why in the tooltip", () => {
      const view = running({ state: "ready", model: "m" }, "degraded", "the sandbox is unavailable");
      assert.match(view.text, /\$\(warning\) Bora: degraded/);
      assert.match(view.tooltip, /the sandbox is unavailable/);
      assert.equal(view.error, true);
      assert.equal(view.click.command, "bora.showLogs");
    });
    for (const host of ["starting", "stopping"] as const) {
      it(`spins while the host is ${host}`, () => {
        const view = running({ state: "none" }, host);
        assert.match(view.text, new RegExp(`\\$\\(sync~spin\\) Bora: ${host}`));
        assert.equal(view.error, false);
        assert.doesNotMatch(view.text, /\$\(check\)/);
      });
    }
  });

  describe("engine states while the host is ready", () => {
    it("says ready once the host reports ready, without a check mark while no model is set", () => {
      const view = running({ state: "none" });
      assert.match(view.text, /Bora: ready · no model/);
      assert.doesNotMatch(view.text, /\$\(check\)/, "nothing can run: no check mark");
      assert.match(view.text, /^\$\(warning\)/);
      assert.match(view.tooltip, /No model configured/);
      assert.equal(view.error, false, "a fresh install is not an error");
    });
    it("pulls a model on a click when none is set, with the settings and the logs in the tooltip", () => {
      const view = running({ state: "none" });
      assert.equal(view.click.command, "bora.pullModel");
      assert.deepEqual(view.click.args, []);
      assert.deepEqual(
        view.actions.map((action) => [action.command, ...action.args]),
        [["bora.pullModel"], [OPEN_SETTINGS, "bora.models"], ["bora.showLogs"]],
      );
    });
    it("takes the host's problem and fix when it names one for a missing configuration", () => {
      const view = running({
        state: "none",
        problem: {
          code: "modelUnconfigured",
          message: "No remote model is set: set bora.models.chat.",
          fix: "openSettings",
          target: "bora.models.chat",
        },
      });
      assert.match(view.text, /Bora: ready · no model/);
      assert.match(view.tooltip, /No remote model is set/);
      assert.deepEqual([view.click.command, ...view.click.args], [OPEN_SETTINGS, "bora.models.chat"]);
    });
    it("spins while the model loads, naming it in the tooltip", () => {
      const view = running({ state: "loading", kind: "local", model: "/models/tiny.gguf" });
      assert.match(view.text, /\$\(sync~spin\) Bora: ready · loading model/);
      assert.doesNotMatch(view.text, /\$\(check\)/);
      assert.match(view.tooltip, /Engine: loading \(\/models\/tiny\.gguf\)/);
      assert.equal(view.error, false);
    });
    it("puts engine details in the tooltip", () => {
      const view = running({ state: "ready", kind: "local", model: "tiny.gguf", lastTokensPerSecond: 41.26 });
      assert.match(view.tooltip, /Engine: ready \(tiny\.gguf\), 41\.3 tok\/s/);
      assert.match(view.text, /Bora: ready · tiny$/);
    });
    it("shows the check mark only when a model can run", () => {
      assert.match(running({ state: "ready", model: "tiny.gguf" }).text, /^\$\(check\) /);
      for (const engine of [
        { state: "none" },
        { state: "loading" },
        { state: "error", problem: { code: "engineFailed", message: "x" } },
      ] satisfies EngineStatus[]) {
        assert.doesNotMatch(running(engine).text, /\$\(check\)/, engine.state);
      }
    });
    it("flags an engine error even when the host is ready", () => {
      const view = running({ state: "error", problem: { code: "modelMissing", message: "model missing" } });
      assert.equal(view.error, true);
      assert.match(view.text, /\$\(warning\) Bora: ready · model missing/);
      assert.match(view.tooltip, /model missing/);
    });
    it("says a missing model is missing, and a click pulls the one the problem names", () => {
      const view = running({
        state: "error",
        problem: {
          code: "modelMissing",
          message: "The chat model hf:o/r/m.gguf is not downloaded yet. Run Bora: Pull Model….",
          fix: "pullModel",
          target: "hf:o/r/m.gguf",
        },
      });
      assert.match(view.text, /Bora: ready · model missing$/);
      assert.match(view.tooltip, /is not downloaded yet/);
      assert.deepEqual([view.click.command, ...view.click.args], ["bora.pullModel", "hf:o/r/m.gguf"]);
      assert.deepEqual(
        view.actions.map((action) => action.command),
        ["bora.pullModel", "bora.showLogs"],
      );
    });
    it("says a refused key in a few words, and a click sets the key", () => {
      const view = running({
        state: "error",
        kind: "remote",
        problem: { code: "remoteUnauthorized", message: "The server refused the API key.", fix: "setApiKey" },
      });
      assert.match(view.text, /Bora: ready · key refused$/);
      assert.equal(view.click.command, "bora.setRemoteApiKey");
      assert.equal(view.error, true);
    });
    it("picks the words by the fix, whatever the code", () => {
      const view = running({ state: "error", problem: { code: "somethingNew", message: "m", fix: "pullModel" } });
      assert.match(view.text, /· model missing$/);
    });
    it("says the engine failed for a problem it has no words for, and a click opens the logs", () => {
      const view = running({ state: "error", problem: { code: "engineFailed", message: "llama.cpp said no" } });
      assert.match(view.text, /Bora: ready · engine failed$/);
      assert.equal(view.click.command, "bora.showLogs");
      assert.match(view.tooltip, /llama\.cpp said no/);
    });
    it("opens the settings the problem names", () => {
      const view = running({
        state: "error",
        problem: { code: "remoteUnreachable", message: "m", fix: "openSettings", target: "bora.remote.baseUrl" },
      });
      assert.deepEqual([view.click.command, ...view.click.args], [OPEN_SETTINGS, "bora.remote.baseUrl"]);
    });
    it("keeps the logs one link away in every state", () => {
      const engines: EngineStatus[] = [
        { state: "none" },
        { state: "loading" },
        { state: "ready", model: "m" },
        { state: "error", problem: { code: "x", message: "y", fix: "setApiKey" } },
      ];
      for (const engine of engines) {
        const commands = running(engine).actions.map((action) => action.command);
        assert.ok(commands.includes("bora.showLogs"), engine.state);
      }
    });
  });

  describe("a pulled model no setting uses", () => {
    it("stays in view, and a click asks what to use it for", () => {
      const view = statusView(
        "running",
        { host: "ready", engine: { state: "ready", model: "big.gguf" } },
        { unusedModel: "small" },
      );
      assert.match(view.text, /^\$\(check\) Bora: ready · big · small unused$/);
      assert.match(view.tooltip, /small is in the model store, and no setting uses it yet/);
      assert.deepEqual([view.click.command, ...view.click.args], ["bora.useModel", "small"]);
      assert.deepEqual(
        view.actions.map((action) => [action.title, ...action.args]),
        [["Use for Chat", "small", "chat"], ["Use for Edits", "small", "edit"], ["Open Logs"]],
      );
    });
    it("does not take a problem's click away", () => {
      const view = statusView(
        "running",
        { host: "ready", engine: { state: "error", problem: { code: "c", message: "m", fix: "setApiKey" } } },
        { unusedModel: "small" },
      );
      assert.equal(view.click.command, "bora.setRemoteApiKey");
    });
  });
});

describe("inline edit progress", () => {
  const ready = { host: "ready", engine: { state: "ready", model: "m.gguf" } } satisfies StatusParams;
  it("shows tokens and tok/s while an edit streams", () => {
    const view = statusView("running", ready, { editProgress: { tokens: 42, tokensPerSecond: 17.25 } });
    assert.equal(view.text, "$(sync~spin) Bora: editing · 42 tok · 17.3 tok/s");
    assert.match(view.tooltip, /Inline edit: 42 tokens so far/);
    assert.equal(statusView("running", ready).text, "$(check) Bora: ready · m");
  });
  it("shows only the tokens before a rate is known", () => {
    const view = statusView("running", ready, { editProgress: { tokens: 1, tokensPerSecond: undefined } });
    assert.equal(view.text, "$(sync~spin) Bora: editing · 1 tok");
  });
  it("keeps an engine problem's words and click", () => {
    const view = statusView(
      "running",
      { host: "ready", engine: { state: "error", problem: { code: "c", message: "m", fix: "setApiKey" } } },
      { editProgress: { tokens: 3, tokensPerSecond: 2 } },
    );
    assert.match(view.text, /key refused · editing · 3 tok/);
    assert.equal(view.click.command, "bora.setRemoteApiKey");
  });
});

describe("status tooltip markdown", () => {
  it("links the actions and trusts only their commands", () => {
    const view = running({
      state: "error",
      problem: { code: "modelMissing", message: "missing", fix: "pullModel", target: "hf:o/r/m (1).gguf" },
    });
    const markdown = tooltipMarkdown(view);
    assert.deepEqual(markdown.enabledCommands, ["bora.pullModel", "bora.showLogs"]);
    const link = /\[Pull Model\]\(command:bora\.pullModel\?([^)\s]+)\)/.exec(markdown.value);
    assert.ok(link, markdown.value);
    assert.deepEqual(JSON.parse(decodeURIComponent(link[1]!)), ["hf:o/r/m (1).gguf"]);
    assert.match(markdown.value, /\[Open Logs\]\(command:bora\.showLogs\)/);
  });
  it("shows host text as text, not as markdown", () => {
    const markdown = tooltipMarkdown({
      tooltip: "Engine: error (my_model_q4.gguf) — see [here](command:workbench.action.terminal.new) *now*",
      actions: [],
    });
    assert.doesNotMatch(markdown.value, /\]\(command:/, "a link in a message must not become a link");
    assert.match(markdown.value, /my\\_model\\_q4/);
    assert.deepEqual(markdown.enabledCommands, []);
  });
  it("keeps each line a paragraph", () => {
    assert.match(tooltipMarkdown({ tooltip: "a\nb", actions: [] }).value, /^a\n\nb$/);
  });
});

describe("shortModelName", () => {
  it("drops folders and the .gguf suffix", () => {
    assert.equal(shortModelName("/home/me/models/qwen2.5-coder-1.5b-q4_k_m.gguf"), "qwen2.5-coder-1.5b-q4_k_m");
    assert.equal(shortModelName("codestral-latest"), "codestral-latest");
  });
});
