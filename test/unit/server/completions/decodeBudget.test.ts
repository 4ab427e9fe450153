import assert from "node:assert/strict";
import {
  DecodeBudget,
  MAX_EVENTS_PAST_BUDGET,
  cutAtWordBoundary,
  showableCut,
} from "../../../../server/src/completions/decodeBudget.js";

describe("decode budget", () => {
  describe("cutAtWordBoundary", () => {
    it("never ends inside a word the next token could still extend", () => {
      assert.equal(cutAtWordBoundary("return total"), "return");
      assert.equal(cutAtWordBoundary("const itemCou"), "const");
      assert.equal(cutAtWordBoundary("value12"), "");
    });

    it("keeps a word that a space, a bracket or a separator already ended", () => {
      assert.equal(cutAtWordBoundary("return total "), "return total");
      assert.equal(cutAtWordBoundary("items.map("), "items.map(");
      assert.equal(cutAtWordBoundary("foo(a, b);"), "foo(a, b);");
    });

    it("does not split an operator that may still grow", () => {
      assert.equal(cutAtWordBoundary("a ="), "a");
      assert.equal(cutAtWordBoundary("(x) =>"), "(x)");
      assert.equal(cutAtWordBoundary("a === b "), "a === b");
    });
  });

  describe("showableCut", () => {
    it("prefers the finished lines over the line under way", () => {
      assert.equal(showableCut("const a = 1;\nconst b = compu"), "const a = 1;");
      assert.equal(showableCut("  one();\n  two();\n  thr"), "  one();\n  two();");
    });

    it("cuts the first line at a word boundary when no line is finished", () => {
      assert.equal(showableCut("return items.filter(isOpen"), "return items.filter(");
      assert.equal(showableCut("\n  return items.len"), "\n  return items.", "the leading line break stays");
    });

    it("shows nothing when the cut leaves less than a few visible characters", () => {
      assert.equal(showableCut("opyopyopyopy"), undefined, "one endless identifier");
      assert.equal(showableCut("x(longName"), undefined, "two characters");
      assert.equal(showableCut("\n\n  "), undefined, "only blank lines");
    });

    it("shows a finished line even when it is short", () => {
      assert.equal(showableCut("}\nfunction ne"), "}");
    });
  });

  describe("DecodeBudget", () => {
    it("lets the completion decode while within its budget", () => {
      const budget = new DecodeBudget(300);
      assert.deepEqual(budget.next("const a = 1;\nconst b", 299), { stop: false });
    });

    it("stops at the first event past the budget that has something useful, and shows it", () => {
      const budget = new DecodeBudget(300);
      assert.deepEqual(budget.next("const a = 1;\nconst b", 300), { stop: true, text: "const a = 1;" });
    });

    it("stops before the budget when the next event is due after it, so that the text arrives in time", () => {
      const budget = new DecodeBudget(300);
      assert.deepEqual(budget.next("const", 250), { stop: false });
      assert.deepEqual(budget.next("const a", 270), { stop: false }, "the next event is due at 290");
      assert.deepEqual(budget.next("const a =", 290), { stop: true, text: "const a" }, "the next is due at 310");
    });

    it("goes on before the budget when nothing can be shown yet, and counts no event past it", () => {
      const budget = new DecodeBudget(300, 1);
      assert.deepEqual(budget.next("re", 250), { stop: false });
      assert.deepEqual(budget.next("retu", 290), { stop: false });
      assert.deepEqual(budget.next("return x", 330), { stop: true, text: "return" });
    });

    it("decodes a few more events past the budget to finish a word, then gives up", () => {
      const budget = new DecodeBudget(300, 2);
      assert.deepEqual(budget.next("retu", 310), { stop: false });
      assert.deepEqual(budget.next("return it", 330), { stop: true, text: "return" });
      const hopeless = new DecodeBudget(300, 2);
      assert.deepEqual(hopeless.next("opy", 310), { stop: false });
      assert.deepEqual(hopeless.next("opyopy", 330), { stop: false });
      assert.deepEqual(hopeless.next("opyopyopy", 350), { stop: true, text: undefined });
    });

    it("gives up after MAX_EVENTS_PAST_BUDGET events by default", () => {
      const budget = new DecodeBudget(0);
      let text = "";
      for (let i = 0; i < MAX_EVENTS_PAST_BUDGET; i++) {
        text += "ab";
        assert.deepEqual(budget.next(text, 1000), { stop: false }, `event ${i + 1}`);
      }
      assert.deepEqual(budget.next(text + "ab", 1000), { stop: true, text: undefined });
    });

    it("never stops a completion without a budget (the user invoked it)", () => {
      const budget = new DecodeBudget(undefined);
      assert.deepEqual(budget.next("const a = 1;\nconst b", 60_000), { stop: false });
    });
  });
});
