import assert from "node:assert/strict";
import { PROBLEM_FIXES, type Problem } from "@bora/protocol";
import { ResponseError } from "vscode-languageserver-protocol";
import { OPEN_SETTINGS } from "../../../client/src/commandIds.js";
import { fixAction, problemActions, problemKey, problemOfError } from "../../../client/src/problemActions.js";

const buttons = (problem: Problem): unknown[][] =>
  problemActions(problem).map((action) => [action.title, action.command, ...action.args]);

describe("problem → buttons", () => {
  it("pulls the model, prefilled with the target when there is one", () => {
    assert.deepEqual(buttons({ code: "modelMissing", message: "m", fix: "pullModel", target: "hf:o/r/f.gguf" }), [
      ["Pull Model", "bora.pullModel", "hf:o/r/f.gguf"],
      ["Open Logs", "bora.showLogs"],
    ]);
    assert.deepEqual(buttons({ code: "modelUnconfigured", message: "m", fix: "pullModel" })[0], [
      "Pull Model",
      "bora.pullModel",
    ]);
  });
  it("sets the remote API key", () => {
    assert.deepEqual(buttons({ code: "remoteUnauthorized", message: "m", fix: "setApiKey" }), [
      ["Set API Key", "bora.setRemoteApiKey"],
      ["Open Logs", "bora.showLogs"],
    ]);
  });
  it("opens the settings at the target, else at Bora's", () => {
    assert.deepEqual(buttons({ code: "c", message: "m", fix: "openSettings", target: "bora.remote.baseUrl" })[0], [
      "Open Settings",
      OPEN_SETTINGS,
      "bora.remote.baseUrl",
    ]);
    assert.deepEqual(buttons({ code: "c", message: "m", fix: "openSettings" })[0], [
      "Open Settings",
      OPEN_SETTINGS,
      "bora",
    ]);
  });
  it("opens the logs once when that is the fix", () => {
    assert.deepEqual(buttons({ code: "engineFailed", message: "m", fix: "openLogs" }), [
      ["Open Logs", "bora.showLogs"],
    ]);
  });
  it("configures an integration through the guided set-up, at the service's flow where the target names one", () => {
    assert.deepEqual(
      buttons({ code: "githubUnauthorized", message: "m", fix: "configureIntegration", target: "bora.github" })[0],
      ["Configure Integration", "bora.configureIntegrations", "github"],
    );
    assert.deepEqual(
      buttons({ code: "jira.auth", message: "m", fix: "configureIntegration", target: "bora.jira" })[0],
      ["Configure Integration", "bora.configureIntegrations"],
    );
  });
  it("has a button for every fix the protocol defines", () => {
    for (const fix of PROBLEM_FIXES) assert.ok(fixAction({ code: "c", message: "m", fix }), fix);
  });
  it("offers the logs for a problem without a fix, or with one this client does not know", () => {
    assert.deepEqual(buttons({ code: "c", message: "m" }), [["Open Logs", "bora.showLogs"]]);
    const fromNewerHost = { code: "c", message: "m", fix: "rebootTheUniverse" } as unknown as Problem;
    assert.deepEqual(buttons(fromNewerHost), [["Open Logs", "bora.showLogs"]]);
    const inherited = { code: "c", message: "m", fix: "toString" } as unknown as Problem;
    assert.equal(fixAction(inherited), undefined);
  });
});

describe("problems of failed requests", () => {
  it("takes the problem a ResponseError carries in its data", () => {
    const problem: Problem = { code: "modelNotFound", message: "No such file.", fix: "openSettings" };
    assert.deepEqual(problemOfError(new ResponseError(-32803, "No such file.", problem)), problem);
  });
  it("words an error without one as itself, pointing at the logs", () => {
    assert.deepEqual(problemOfError(new ResponseError(-32803, "HTTP 404")), {
      code: "requestFailed",
      message: "HTTP 404",
      fix: "openLogs",
    });
    assert.equal(problemOfError(new Error("connection closed")).message, "connection closed");
    assert.equal(problemOfError(new ResponseError(-32803, "bad", { code: 1, message: "x" })).message, "bad");
  });
  it("tells a problem from the same one reported again", () => {
    const a: Problem = { code: "c", message: "m", fix: "pullModel", target: "t" };
    assert.equal(problemKey(a), problemKey({ ...a }));
    assert.notEqual(problemKey(a), problemKey({ ...a, target: "u" }));
    assert.notEqual(problemKey(a), problemKey({ ...a, message: "n" }));
  });
});
