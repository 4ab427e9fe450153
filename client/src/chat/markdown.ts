/**
 * Markdown to HTML for the Chat view, rendered in the extension host (never in the webview) with
 * markdown-it: raw HTML is escaped (`html: false`) and links keep markdown-it's own validation
 * (no `javascript:`, `vbscript:`, `file:` or non-image `data:` URLs). Each fenced code block gets
 * Insert and Apply buttons that name it by index, so the webview never sends code back: the
 * extension looks the block up in what it rendered. Pure (no `vscode` import).
 */
import MarkdownIt from "markdown-it";

const md = new MarkdownIt({ html: false, linkify: true });

interface RenderEnv {
  blocks: string[];
  first: number;
}

md.renderer.rules.fence = (tokens, idx, _options, env: RenderEnv) => {
  const token = tokens[idx]!;
  const index = env.first + env.blocks.length;
  env.blocks.push(token.content);
  // Only a plain language name reaches the class attribute, escaped all the same.
  const language = /^[\w+#.-]+/.exec(token.info.trim())?.[0];
  const cls = language !== undefined ? ` class="language-${md.utils.escapeHtml(language)}"` : "";
  return (
    `<div class="code-block" data-block="${index}">` +
    `<div class="code-actions">` +
    `<button type="button" data-action="insert" data-block="${index}" title="Insert at the cursor">Insert</button>` +
    `<button type="button" data-action="apply" data-block="${index}" title="Apply as an edit to review">Apply</button>` +
    `</div><pre><code${cls}>${md.utils.escapeHtml(token.content)}</code></pre></div>\n`
  );
};

export interface Rendered {
  html: string;
  /** The fenced code blocks' text, in order; block `i` is `blocks[i - first]`. */
  blocks: string[];
}

/**
 * Renders one piece of markdown. `first` numbers its code blocks after those of the turn's
 * earlier pieces, so that a turn's block indices are unique. Defaults to 0.
 */
export function renderMarkdown(text: string, first = 0): Rendered {
  const env: RenderEnv = { blocks: [], first };
  return { html: md.render(text, env), blocks: env.blocks };
}
