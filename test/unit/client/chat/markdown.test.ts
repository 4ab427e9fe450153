import assert from "node:assert/strict";
import { renderMarkdown } from "../../../../client/src/chat/markdown.js";

describe("chat markdown", () => {
  it("renders a fence as a code block with Insert and Apply, and keeps its text", () => {
    const { html, blocks } = renderMarkdown("Try:\n\n```ts\nconst a = 1 < 2;\n```\n");
    assert.deepEqual(blocks, ["const a = 1 < 2;\n"]);
    assert.match(html, /<code class="language-ts">const a = 1 &lt; 2;\n<\/code>/);
    assert.match(html, /<button type="button" data-action="insert" data-block="0"/);
    assert.match(html, /<button type="button" data-action="apply" data-block="0"/);
  });
  it("numbers a piece's blocks after the turn's earlier ones", () => {
    const { html, blocks } = renderMarkdown("```\na\n```\n\n```\nb\n```\n", 3);
    assert.deepEqual(blocks, ["a\n", "b\n"]);
    assert.match(html, /data-block="3"[\s\S]*data-block="4"/);
  });
  it("escapes raw HTML instead of passing it through", () => {
    const { html } = renderMarkdown('Hello <script>alert(1)</script> <img src=x onerror="alert(2)">');
    assert.ok(!html.includes("<script>"));
    assert.ok(!html.includes("<img"));
    assert.match(html, /&lt;script&gt;/);
  });
  it("keeps a hostile fence language out of the markup", () => {
    const { html } = renderMarkdown('```"><script>x</script>\ncode\n```\n');
    assert.ok(!html.includes("<script>"));
    assert.match(html, /<pre><code>code\n<\/code><\/pre>/);
  });
  it("renders http links and drops javascript: links", () => {
    assert.match(renderMarkdown("[docs](https://example.com/a)").html, /<a href="https:\/\/example.com\/a">docs<\/a>/);
    const bad = renderMarkdown("[x](javascript:alert(1)) [y](vbscript:msgbox) [z](file:///etc/passwd)").html;
    assert.ok(!/<a /.test(bad), bad);
  });
});
