import assert from "node:assert/strict";
import { GitIgnore, matchesGlob } from "../../../../server/src/workspace/globs.js";

describe("globs and .gitignore rules", () => {
  it("matches base names anywhere and paths from the root", () => {
    assert.ok(matchesGlob("src/deep/a.ts", "*.ts"));
    assert.ok(!matchesGlob("src/a.tsx", "*.ts"));
    assert.ok(matchesGlob("src/a.test.ts", "src/**/*.test.ts"));
    assert.ok(matchesGlob("src/x/y/a.test.ts", "src/**/*.test.ts"));
    assert.ok(!matchesGlob("lib/a.test.ts", "src/**/*.test.ts"));
  });

  it("follows gitignore semantics: unanchored names, anchored paths, directories, negation", () => {
    const rules = new GitIgnore("node_modules/\n*.log\n/build\n!keep.log\n# comment\n");
    assert.equal(rules.decide("node_modules", true), true);
    assert.equal(rules.decide("pkg/node_modules", true), true);
    assert.equal(rules.decide("node_modules", false), undefined);
    assert.equal(rules.decide("a/b/debug.log", false), true);
    assert.equal(rules.decide("keep.log", false), false);
    assert.equal(rules.decide("build", true), true);
    assert.equal(rules.decide("src/build", true), undefined);
  });
});
