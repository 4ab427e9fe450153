/**
 * Atlassian Document Format (Jira Cloud's rich text) to Markdown and back. Unknown nodes keep
 * their text, so nothing a reporter wrote is lost to a node type this file does not know.
 */
import type { AdfDoc, AdfNode } from "./types.js";

function inlineMarks(text: string, marks: AdfNode["marks"]): string {
  let out = text;
  for (const mark of marks ?? []) {
    if (mark.type === "code") out = `\`${out}\``;
    else if (mark.type === "strong") out = `**${out}**`;
    else if (mark.type === "em") out = `*${out}*`;
    else if (mark.type === "strike") out = `~~${out}~~`;
    else if (mark.type === "link" && typeof mark.attrs?.href === "string")
      out = text === mark.attrs.href ? `<${text}>` : `[${out}](${mark.attrs.href})`;
  }
  return out;
}

function inline(nodes: AdfNode[] | undefined): string {
  return (nodes ?? []).map(inlineNode).join("");
}

function inlineNode(node: AdfNode): string {
  const attr = (k: string): string => (typeof node.attrs?.[k] === "string" ? (node.attrs[k] as string) : "");
  switch (node.type) {
    case "text":
      return inlineMarks(node.text ?? "", node.marks);
    case "hardBreak":
      return "\n";
    case "mention":
      return attr("text") || `@${attr("id")}`;
    case "emoji":
      return attr("text") || attr("shortName");
    case "inlineCard":
    case "blockCard":
      return attr("url") ? `<${attr("url")}>` : "";
    case "date":
      return attr("timestamp") ? new Date(Number(attr("timestamp"))).toISOString().slice(0, 10) : "";
    case "status":
      return `[${attr("text")}]`;
    default:
      return node.text ?? inline(node.content);
  }
}

function indent(text: string, by: string): string {
  return text
    .split("\n")
    .map((l, i) => (i === 0 || l === "" ? l : by + l))
    .join("\n");
}

function block(node: AdfNode): string {
  const content = node.content ?? [];
  switch (node.type) {
    case "paragraph":
      return inline(content);
    case "heading": {
      const level = Math.min(6, Math.max(1, Number(node.attrs?.level ?? 1)));
      return `${"#".repeat(level)} ${inline(content)}`;
    }
    case "bulletList":
      return content.map((item) => `- ${indent(blocks(item.content), "  ")}`).join("\n");
    case "orderedList": {
      const start = Number(node.attrs?.order ?? 1);
      return content.map((item, i) => `${start + i}. ${indent(blocks(item.content), "   ")}`).join("\n");
    }
    case "taskList":
      return content
        .map((item) => `- [${item.attrs?.state === "DONE" ? "x" : " "}] ${inline(item.content)}`)
        .join("\n");
    case "codeBlock": {
      const lang = typeof node.attrs?.language === "string" ? node.attrs.language : "";
      return `\`\`\`${lang}\n${content.map((t) => t.text ?? "").join("")}\n\`\`\``;
    }
    case "blockquote":
      return blocks(content)
        .split("\n")
        .map((l) => (l === "" ? ">" : `> ${l}`))
        .join("\n");
    case "panel": {
      const kind = typeof node.attrs?.panelType === "string" ? node.attrs.panelType : "info";
      return blocks(content)
        .split("\n")
        .map((l, i) => (i === 0 ? `> **${kind}:** ${l}` : `> ${l}`))
        .join("\n");
    }
    case "rule":
      return "---";
    case "table": {
      const rows = content.map((row) =>
        (row.content ?? []).map((cell) => blocks(cell.content).replace(/\n+/g, " ").replace(/\|/g, "\\|")),
      );
      if (rows.length === 0) return "";
      const width = Math.max(...rows.map((r) => r.length));
      const line = (cells: string[]): string =>
        `| ${Array.from({ length: width }, (_, i) => cells[i] ?? "").join(" | ")} |`;
      const [head, ...body] = rows;
      return [line(head ?? []), `|${" --- |".repeat(width)}`, ...body.map(line)].join("\n");
    }
    case "mediaSingle":
    case "mediaGroup":
      return content.map((m) => `[attachment${typeof m.attrs?.alt === "string" ? `: ${m.attrs.alt}` : ""}]`).join(" ");
    case "expand":
    case "nestedExpand": {
      const title = typeof node.attrs?.title === "string" ? node.attrs.title : "";
      return `${title ? `**${title}**\n\n` : ""}${blocks(content)}`;
    }
    default:
      return node.content ? blocks(content) : inlineNode(node);
  }
}

function blocks(nodes: AdfNode[] | undefined): string {
  return (nodes ?? [])
    .map(block)
    .filter((b) => b !== "")
    .join("\n\n");
}

/** Renders an ADF document (or any node) as Markdown. */
export function adfToMarkdown(doc: AdfNode | null | undefined): string {
  if (!doc) return "";
  return (doc.type === "doc" ? blocks(doc.content) : block(doc)).trim();
}

/**
 * Wraps Markdown text as an ADF document for REST v3 writes: paragraphs split at blank lines,
 * fenced code kept as code blocks, single newlines as hard breaks, bare URLs as links. Jira shows
 * other Markdown syntax as typed, which keeps the text faithful.
 */
export function markdownToAdf(markdown: string): AdfDoc {
  const content: AdfNode[] = [];
  const parts = markdown.replace(/\r\n/g, "\n").split(/^```([\w+-]*)\n([\s\S]*?)^```$/m);
  for (let i = 0; i < parts.length; i += 3) {
    const prose = parts[i] ?? "";
    for (const para of prose.split(/\n{2,}/)) {
      const text = para.trim();
      if (text === "") continue;
      const nodes: AdfNode[] = [];
      text.split("\n").forEach((line, n) => {
        if (n > 0) nodes.push({ type: "hardBreak" });
        for (const piece of line.split(/(https?:\/\/[^\s)>\]]+)/)) {
          if (piece === "") continue;
          nodes.push(
            /^https?:\/\//.test(piece)
              ? { type: "text", text: piece, marks: [{ type: "link", attrs: { href: piece } }] }
              : { type: "text", text: piece },
          );
        }
      });
      content.push({ type: "paragraph", content: nodes });
    }
    if (i + 2 < parts.length) {
      const language = parts[i + 1] ?? "";
      const code = (parts[i + 2] ?? "").replace(/\n$/, "");
      content.push({
        type: "codeBlock",
        ...(language ? { attrs: { language } } : {}),
        content: code ? [{ type: "text", text: code }] : [],
      });
    }
  }
  return { type: "doc", version: 1, content };
}
