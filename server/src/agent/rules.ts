/**
 * Workspace rules: `AGENTS.md` at the root and `.bora/rules/*.md`, in name order. They go into the
 * system prompt and are never compacted. They guide the model; they cannot change approvals or the
 * sandbox, which come only from the user's settings.
 */
import { readdir, readFile } from "node:fs/promises";
import { confine } from "../workspace/confinement.js";

export interface RuleFile {
  path: string;
  text: string;
}

/** Most characters taken from one rule file; the rest is cut with a note. */
const MAX_RULE_CHARS = 16000;
const MAX_TOTAL_CHARS = 48000;

export async function loadRules(root: string): Promise<RuleFile[]> {
  const candidates = ["AGENTS.md"];
  const dir = await readdir(`${root}/.bora/rules`).catch(() => [] as string[]);
  candidates.push(
    ...dir
      .filter((n) => n.endsWith(".md"))
      .sort()
      .map((n) => `.bora/rules/${n}`),
  );
  const rules: RuleFile[] = [];
  let total = 0;
  for (const candidate of candidates) {
    // A rule file that is a symlink out of the workspace is skipped like any other escape.
    const target = await confine(root, candidate).catch(() => undefined);
    if (target === undefined) continue;
    let text = await readFile(target.absolute, "utf8").catch(() => undefined);
    if (text === undefined || text.trim() === "") continue;
    if (text.length > MAX_RULE_CHARS)
      text = `${text.slice(0, MAX_RULE_CHARS)}\n[... rule file cut at ${MAX_RULE_CHARS} characters]`;
    if (total + text.length > MAX_TOTAL_CHARS) break;
    total += text.length;
    rules.push({ path: target.relative, text });
  }
  return rules;
}
