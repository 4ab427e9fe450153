import assert from "node:assert/strict";
import { isProblem } from "@bora/protocol";

describe("Problem", () => {
  it("knows a problem's shape, and keeps one whose fix a newer host added", () => {
    assert.equal(isProblem({ code: "c", message: "m" }), true);
    assert.equal(isProblem({ code: "c", message: "m", fix: "pullModel", target: "t" }), true);
    assert.equal(isProblem({ code: "c", message: "m", fix: "someFixOfLater" }), true);
    for (const bad of [null, "x", [], { code: "c" }, { message: "m" }, { code: "c", message: "m", fix: 3 }]) {
      assert.equal(isProblem(bad), false, JSON.stringify(bad));
    }
  });
});
