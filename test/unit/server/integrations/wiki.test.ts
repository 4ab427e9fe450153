import assert from "node:assert/strict";
import { wikiToMarkdown } from "../../../../server/src/integrations/jira/wiki.js";

describe("Jira wiki markup → Markdown", () => {
  it("converts headings, emphasis, monospace, strike and links", () => {
    assert.equal(
      wikiToMarkdown(
        "h2. Summary\n*Save* fails _sometimes_ in {{save()}}, -not- always; see [the log|https://l.example.invalid] or [https://x.example.invalid] ping [~ana]",
      ),
      "## Summary\n**Save** fails *sometimes* in `save()`, ~~not~~ always; see [the log](https://l.example.invalid) or <https://x.example.invalid> ping @ana",
    );
  });

  it("converts code and noformat blocks, keeping their contents verbatim", () => {
    assert.equal(
      wikiToMarkdown("{code:java}\nint *x* = 1;\n{code}\n{noformat}\n_raw_\n{noformat}"),
      "```java\nint *x* = 1;\n```\n```\n_raw_\n```",
    );
  });

  it("converts lists, quotes, tables and rules", () => {
    assert.equal(
      wikiToMarkdown("* one\n** nested\n# first\nbq. quoted\n||a||b||\n|1|2|\n----"),
      "- one\n  - nested\n1. first\n> quoted\n| a | b |\n| --- | --- |\n| 1 | 2 |\n---",
    );
  });

  it("leaves plain text and empty values alone", () => {
    assert.equal(wikiToMarkdown("2 * 3 = 6"), "2 * 3 = 6");
    assert.equal(wikiToMarkdown(null), "");
  });
});
