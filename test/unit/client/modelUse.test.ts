import assert from "node:assert/strict";
import { afterPull } from "../../../client/src/modelUse.js";

describe("after a pull", () => {
  it("uses the model for chat at once when no chat model is set", () => {
    assert.deepEqual(afterPull("m", { engine: "local", chat: "", edit: "" }), { kind: "useForChat" });
    assert.deepEqual(afterPull("m", { engine: "local", chat: "  ", edit: "m" }), { kind: "useForChat" });
  });
  it("offers it for chat or edits when another model is the chat model", () => {
    assert.deepEqual(afterPull("m", { engine: "local", chat: "other", edit: "" }), { kind: "offer" });
  });
  it("says so when a setting already names it", () => {
    assert.deepEqual(afterPull("m", { engine: "local", chat: "m", edit: "" }), { kind: "inUse", roles: ["chat"] });
    assert.deepEqual(afterPull("m", { engine: "local", chat: "x", edit: "m" }), { kind: "inUse", roles: ["edit"] });
  });
  it("does not put a store model into the remote engine's settings", () => {
    assert.deepEqual(afterPull("m", { engine: "remote", chat: "", edit: "" }), { kind: "remoteEngine" });
  });
});
