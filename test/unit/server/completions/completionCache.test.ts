import assert from "node:assert/strict";
import { CompletionCache } from "../../../../server/src/completions/completionCache.js";

const key = (prefix: string, suffix = "\n}\n", uri = "file:///a.ts") => ({ uri, prefix, suffix });

describe("completion cache", () => {
  it("answers a prefix that typed the start of the suggestion with the rest of it", () => {
    const cache = new CompletionCache();
    cache.remember(key("const total = "), "items.length;");
    assert.equal(cache.lookup(key("const total = ")), "items.length;", "the same place");
    assert.equal(cache.lookup(key("const total = it")), "ems.length;");
    assert.equal(cache.lookup(key("const total = items.len")), "gth;");
  });

  it("misses when the typing left the suggestion, the suffix changed, or the document differs", () => {
    const cache = new CompletionCache();
    cache.remember(key("const total = "), "items.length;");
    assert.equal(cache.lookup(key("const total = x")), undefined);
    assert.equal(cache.lookup(key("const total = it", "\n")), undefined);
    assert.equal(cache.lookup(key("const total = it", "\n}\n", "file:///b.ts")), undefined);
    assert.equal(cache.lookup(key("const tot")), undefined, "a shorter prefix is not an extension");
  });

  it("has nothing to show once the whole suggestion was typed, or only whitespace is left", () => {
    const cache = new CompletionCache();
    cache.remember(key("a = "), "b;  ");
    assert.equal(cache.lookup(key("a = b;")), undefined);
  });

  it("prefers the newest completion and forgets the oldest past its capacity", () => {
    const cache = new CompletionCache(2);
    cache.remember(key("x"), "yz");
    cache.remember(key("x"), "ya");
    assert.equal(cache.lookup(key("xy")), "a", "a new answer at the same place replaces the old");
    cache.remember(key("p"), "q");
    cache.remember(key("r"), "s");
    assert.equal(cache.size, 2);
    assert.equal(cache.lookup(key("x")), undefined);
    assert.equal(cache.lookup(key("r")), "s");
  });

  it("answers typing from a completion cut by the time budget, but not a request that waits for the whole answer", () => {
    const cache = new CompletionCache();
    cache.remember(key("const total = "), "items.", true);
    assert.equal(cache.lookup(key("const total = it")), "ems.", "typing its characters shows the rest");
    assert.equal(cache.lookup(key("const total = it"), { acceptCut: false }), undefined);
    assert.equal(
      cache.lookup(key("const total = "), { acceptCut: false }),
      undefined,
      "the invoked request asks the model",
    );
    assert.equal(cache.lookup(key("const total = items.")), undefined, "typed all of it: the model is asked again");
  });

  it("lets the whole answer replace a cut one at the same place", () => {
    const cache = new CompletionCache();
    cache.remember(key("const total = "), "items.", true);
    cache.remember(key("const total = "), "items.length;");
    assert.equal(cache.lookup(key("const total = "), { acceptCut: false }), "items.length;");
    assert.equal(cache.lookup(key("const total = items.")), "length;", "the cut one no longer stands for this place");
    assert.equal(cache.size, 1);
  });

  it("forgets a closed document", () => {
    const cache = new CompletionCache();
    cache.remember(key("x"), "y");
    cache.remember(key("x", "\n}\n", "file:///b.ts"), "z");
    cache.forget("file:///a.ts");
    assert.equal(cache.lookup(key("x")), undefined);
    assert.equal(cache.lookup(key("x", "\n}\n", "file:///b.ts")), "z");
  });
});
