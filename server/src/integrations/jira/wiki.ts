/**
 * Jira wiki markup (REST v2, Data Center) to Markdown: headings, emphasis, monospace, code and
 * noformat blocks, quotes, lists, links and tables. Anything else passes through as text.
 */

function inline(text: string): string {
  return text
    .replace(/\{\{([^}]+)\}\}/g, "`$1`")
    .replace(/\[([^|\]]+)\|([^\]]+)\]/g, "[$1]($2)")
    .replace(/\[((?:https?|mailto):[^\]]+)\]/g, "<$1>")
    .replace(/\[~([^\]]+)\]/g, "@$1")
    .replace(/(^|[\s(])\*(\S(?:[^*]*\S)?)\*(?=$|[\s).,:;!?])/g, "$1**$2**")
    .replace(/(^|[\s(])_(\S(?:[^_]*\S)?)_(?=$|[\s).,:;!?])/g, "$1*$2*")
    .replace(/(^|[\s(])-(\S(?:[^-]*\S)?)-(?=$|[\s).,:;!?])/g, "$1~~$2~~")
    .replace(/(^|[\s(])\+(\S(?:[^+]*\S)?)\+(?=$|[\s).,:;!?])/g, "$1$2")
    .replace(/\{color(?::[^}]*)?\}/g, "");
}

export function wikiToMarkdown(wiki: string | null | undefined): string {
  if (!wiki) return "";
  const out: string[] = [];
  const lines = wiki.replace(/\r\n/g, "\n").split("\n");
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] ?? "";
    const fence = /^\s*\{(code|noformat)(?::([^}|]*))?[^}]*\}(.*)$/.exec(line);
    if (fence) {
      const lang = fence[1] === "code" ? (fence[2] ?? "").trim() : "";
      const body: string[] = [];
      let rest = fence[3] ?? "";
      const close = `{${fence[1]}}`;
      for (;;) {
        const end = rest.indexOf(close);
        if (end >= 0) {
          if (rest.slice(0, end) !== "") body.push(rest.slice(0, end));
          break;
        }
        if (rest !== "" || body.length > 0) body.push(rest);
        i++;
        if (i >= lines.length) break;
        rest = lines[i] ?? "";
      }
      out.push(`\`\`\`${lang}`, ...body, "```");
      continue;
    }
    const heading = /^h([1-6])\.\s+(.*)$/.exec(line);
    if (heading) {
      out.push(`${"#".repeat(Number(heading[1]))} ${inline(heading[2] ?? "")}`);
      continue;
    }
    const quote = /^bq\.\s+(.*)$/.exec(line);
    if (quote) {
      out.push(`> ${inline(quote[1] ?? "")}`);
      continue;
    }
    const list = /^([*#-]+)\s+(.*)$/.exec(line);
    if (list) {
      const marks = list[1] ?? "*";
      const pad = "  ".repeat(marks.length - 1);
      out.push(`${pad}${marks.endsWith("#") ? "1." : "-"} ${inline(list[2] ?? "")}`);
      continue;
    }
    if (/^\|\|/.test(line)) {
      const cells = line
        .replace(/^\|\||\|\|$/g, "")
        .split("||")
        .map((c) => inline(c.trim()));
      out.push(`| ${cells.join(" | ")} |`, `|${" --- |".repeat(cells.length)}`);
      continue;
    }
    if (/^\|/.test(line)) {
      const cells = line
        .replace(/^\||\|$/g, "")
        .split("|")
        .map((c) => inline(c.trim()));
      out.push(`| ${cells.join(" | ")} |`);
      continue;
    }
    if (/^----\s*$/.test(line)) {
      out.push("---");
      continue;
    }
    out.push(inline(line));
  }
  return out.join("\n").trim();
}
