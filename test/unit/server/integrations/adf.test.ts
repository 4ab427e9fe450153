import assert from "node:assert/strict";
import { adfToMarkdown, markdownToAdf } from "../../../../server/src/integrations/jira/adf.js";
import type { AdfDoc, AdfNode } from "../../../../server/src/integrations/jira/types.js";

const doc = (...content: AdfNode[]): AdfDoc => ({ type: "doc", version: 1, content });
const p = (...content: AdfNode[]): AdfNode => ({ type: "paragraph", content });
const t = (text: string, ...marks: string[]): AdfNode => ({
  type: "text",
  text,
  ...(marks.length ? { marks: marks.map((type) => ({ type })) } : {}),
});

describe("Jira ADF → Markdown", () => {
  it("renders headings, marks and hard breaks", () => {
    assert.equal(
      adfToMarkdown(
        doc(
          { type: "heading", attrs: { level: 3 }, content: [t("Title")] },
          p(
            t("a "),
            t("bold", "strong"),
            t(" "),
            t("it", "em"),
            { type: "hardBreak" },
            t("x()", "code"),
            t(" "),
            t("gone", "strike"),
          ),
        ),
      ),
      "### Title\n\na **bold** *it*\n`x()` ~~gone~~",
    );
  });

  it("renders links, and a bare URL as an autolink", () => {
    const link = (text: string, href: string): AdfNode => ({
      type: "text",
      text,
      marks: [{ type: "link", attrs: { href } }],
    });
    assert.equal(
      adfToMarkdown(
        doc(
          p(
            link("docs", "https://d.example.invalid"),
            t(" "),
            link("https://u.example.invalid", "https://u.example.invalid"),
          ),
        ),
      ),
      "[docs](https://d.example.invalid) <https://u.example.invalid>",
    );
  });

  it("renders nested bullet and ordered lists with indentation", () => {
    const li = (...content: AdfNode[]): AdfNode => ({ type: "listItem", content });
    const md = adfToMarkdown(
      doc({
        type: "bulletList",
        content: [
          li(p(t("one")), { type: "orderedList", attrs: { order: 3 }, content: [li(p(t("three"))), li(p(t("four")))] }),
          li(p(t("two"))),
        ],
      }),
    );
    assert.equal(md, "- one\n\n  3. three\n  4. four\n- two");
  });

  it("renders code blocks with their language, quotes, panels and rules", () => {
    assert.equal(
      adfToMarkdown(
        doc(
          { type: "codeBlock", attrs: { language: "python" }, content: [t("print(1)\nprint(2)")] },
          { type: "blockquote", content: [p(t("quoted"))] },
          { type: "panel", attrs: { panelType: "warning" }, content: [p(t("careful"))] },
          { type: "rule" },
        ),
      ),
      "```python\nprint(1)\nprint(2)\n```\n\n> quoted\n\n> **warning:** careful\n\n---",
    );
  });

  it("renders tables, escaping pipes in cells", () => {
    const cell = (type: string, text: string): AdfNode => ({ type, content: [p(t(text))] });
    const table: AdfNode = {
      type: "table",
      content: [
        { type: "tableRow", content: [cell("tableHeader", "Key"), cell("tableHeader", "Value")] },
        { type: "tableRow", content: [cell("tableCell", "a|b"), cell("tableCell", "1")] },
      ],
    };
    assert.equal(adfToMarkdown(doc(table)), "| Key | Value |\n| --- | --- |\n| a\\|b | 1 |");
  });

  it("renders mentions, emoji, inline cards, task lists and status lozenges", () => {
    const md = adfToMarkdown(
      doc(
        p(
          { type: "mention", attrs: { id: "1", text: "@Ana" } },
          t(" "),
          { type: "emoji", attrs: { shortName: ":fire:", text: "🔥" } },
          t(" "),
          { type: "inlineCard", attrs: { url: "https://c.example.invalid" } },
          t(" "),
          { type: "status", attrs: { text: "BLOCKED" } },
        ),
        {
          type: "taskList",
          content: [
            { type: "taskItem", attrs: { state: "DONE" }, content: [t("done")] },
            { type: "taskItem", attrs: { state: "TODO" }, content: [t("todo")] },
          ],
        },
      ),
    );
    assert.equal(md, "@Ana 🔥 <https://c.example.invalid> [BLOCKED]\n\n- [x] done\n- [ ] todo");
  });

  it("keeps the text of node types it does not know", () => {
    assert.equal(
      adfToMarkdown(
        doc({ type: "futureBlock", content: [p(t("still here"))] }, p({ type: "futureInline", text: "inline text" })),
      ),
      "still here\n\ninline text",
    );
  });

  it("renders an empty or missing document as empty text", () => {
    assert.equal(adfToMarkdown(null), "");
    assert.equal(adfToMarkdown(doc()), "");
  });
});

describe("Markdown → Jira ADF (for Cloud comments)", () => {
  it("makes paragraphs, hard breaks, links and code blocks, and renders back to the same text", () => {
    const md = "Opened https://git.example.invalid/pr/7\nTests pass.\n\n```ts\nconst a = 1;\n```\n\nThanks";
    const adf = markdownToAdf(md);
    assert.deepEqual(
      adf.content.map((n) => n.type),
      ["paragraph", "codeBlock", "paragraph"],
    );
    assert.deepEqual(adf.content[1], {
      type: "codeBlock",
      attrs: { language: "ts" },
      content: [{ type: "text", text: "const a = 1;" }],
    });
    assert.equal(
      adfToMarkdown(adf),
      "Opened <https://git.example.invalid/pr/7>\nTests pass.\n\n```ts\nconst a = 1;\n```\n\nThanks",
    );
  });
});
