import assert from "node:assert/strict";
import { cleanCompletion, lineLimit, repeatsSuffix } from "../../../../server/src/completions/completionCleanup.js";

const endOfLine = (suffix: string) => ({ suffix, lineSuffix: "" });
const midLine = (lineSuffix: string, after = "\n") => ({ suffix: lineSuffix + after, lineSuffix });

describe("completion cleanup", () => {
  it("allows one line in the middle of a line and maxLines at its end", () => {
    assert.equal(lineLimit({ lineSuffix: "" }, 4), 4);
    assert.equal(lineLimit({ lineSuffix: "   " }, 4), 4, "only whitespace after the cursor");
    assert.equal(lineLimit({ lineSuffix: "b);" }, 4), 1);
  });

  it("stops at maxLines and drops trailing whitespace", () => {
    assert.equal(cleanCompletion("a\nb\nc\nd\n", endOfLine("\n"), 2), "a\nb");
    assert.equal(cleanCompletion("return x;  \n\n", endOfLine(""), 4), "return x;");
  });

  it("stops at the line end in the middle of a line, without what the line already has", () => {
    assert.equal(cleanCompletion("a, b)\n  foo();", midLine(")"), 4), "a, b");
    assert.equal(cleanCompletion('name");', midLine('");'), 4), "name");
  });

  it("drops a completion that only repeats the suffix", () => {
    assert.equal(cleanCompletion("}", endOfLine("\n}\n"), 4), undefined);
    assert.equal(cleanCompletion("\n}", endOfLine("\n}\n"), 4), undefined);
    assert.equal(cleanCompletion("  return a;\n", endOfLine("\n  return a;\n}\n"), 4), undefined);
    assert.equal(cleanCompletion("   \n ", endOfLine("\n"), 4), undefined);
  });

  it("keeps what comes before the model runs on into the code that follows", () => {
    assert.equal(cleanCompletion("\n  x += 1;\n}\n", endOfLine("\n}\n"), 4), "\n  x += 1;");
  });

  it("tells repeats from new code", () => {
    assert.equal(repeatsSuffix("foo", "foobar"), true);
    assert.equal(repeatsSuffix("bar", "foobar"), false);
    assert.equal(repeatsSuffix("", "x"), true);
    assert.equal(repeatsSuffix("x", ""), false);
  });

  it("normalises CRLF from the model", () => {
    assert.equal(cleanCompletion("a\r\nb", endOfLine(""), 4), "a\nb");
  });
});
