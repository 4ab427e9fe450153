/**
 * The inline edit's prompt: what the model sees of the document, the instruction, the diagnostics
 * and the workspace rules, and the size policy (how much surrounding code fits, how many tokens the
 * answer may take, and when a selection is too big to try). Pure: the token counter is passed in.
 *
 * The order of the prompt is chosen for the engine's prefix cache: what stays the same between a
 * first attempt and its follow-ups (rules, file, surrounding code, selection) comes first, the
 * instructions and the previous attempt last.
 */
import type { ChatMessage } from "@bora/inference";
import type { EditDiagnostic, InlineEditParams } from "@bora/protocol";
import type { RuleFile } from "../agent/rules.js";

/**
 * Most tokens of surrounding code (before and after together). The enclosing function and the
 * imports are what an edit needs; more costs prefill time (about a second per 100 tokens on a
 * small CPU model) for little gain.
 */
export const MAX_SURROUNDING_TOKENS = 1024;

/** Share of the surrounding budget given to the code before the selection, which says more about it. */
const BEFORE_SHARE = 2 / 3;

/**
 * Tokens the chat template adds around the messages (role markers, BOS), which `countTokens` of
 * the message texts does not see. Generous: a prompt that is a little smaller than counted is fine.
 */
export const TEMPLATE_OVERHEAD_TOKENS = 48;

/** The answer may be this much longer than the text it replaces: rewrites grow (types, comments, checks). */
const ANSWER_GROWTH = 1.5;
/** Tokens added to every answer's limit, so a one-line selection can still become a few lines. */
const ANSWER_MARGIN_TOKENS = 64;
/** Most tokens an insert (empty selection, nothing to size it by) may write: a function or two. */
export const INSERT_MAX_TOKENS = 1024;
/** An insert is refused rather than started with less room than this. */
const INSERT_MIN_TOKENS = 128;

/** The estimate of tokens in a line before the real count checks it: code averages 3–4 characters a token. */
const CHARS_PER_TOKEN_ESTIMATE = 3;

export type CountTokens = (text: string) => Promise<number>;

/** The parts of the document the prompt is made of, cut at the exact range. */
export interface EditSource {
  /** Shown to the model: a workspace-relative path, or the file name. */
  path: string;
  languageId: string;
  /** The selected text (empty for an insert), exactly `range`. */
  selection: string;
  /** Zero-based line of the range's start, for line numbers in the prompt. */
  startLine: number;
  /** The document's text before the range, on the range's first line (may be empty). */
  linePrefix: string;
  /** The document's text after the range, on the range's last line (may be empty). */
  lineSuffix: string;
  /** Whole lines before the range's first line, nearest last. */
  linesBefore: readonly string[];
  /** Whole lines after the range's last line, nearest first. */
  linesAfter: readonly string[];
  instruction: string;
  diagnostics: readonly EditDiagnostic[];
  previous?: InlineEditParams["previous"];
  rules: readonly RuleFile[];
}

/** How much of the surrounding code went into the prompt. */
export interface Surroundings {
  before: readonly string[];
  after: readonly string[];
}

const SYSTEM = [
  "You are the inline editor in the user's code editor. You rewrite the selected text of a file as the user instructs.",
  "Answer with the replacement text only: exactly what takes the selection's place in the file, nothing before it and nothing after it.",
  "No explanations, no markdown code fences, no line numbers.",
  "Keep the file's indentation and style. Keep the parts the instruction does not ask to change exactly as they are.",
].join("\n");

const INSERT_SYSTEM = [
  "You are the inline editor in the user's code editor. You write new text to insert at the cursor, as the user instructs.",
  "Answer with the inserted text only: nothing before it and nothing after it.",
  "No explanations, no markdown code fences, no line numbers.",
  "Match the file's indentation and style.",
].join("\n");

function systemMessage(source: EditSource): string {
  const base = source.selection === "" && source.previous === undefined ? INSERT_SYSTEM : SYSTEM;
  if (source.rules.length === 0) return base;
  const rules = source.rules.map((r) => `From ${r.path}:\n${r.text.trim()}`).join("\n\n");
  return `${base}\n\nThe workspace's rules for code in this project:\n\n${rules}`;
}

const SEVERITY = ["", "error", "warning", "information", "hint"];

function diagnosticLine(d: EditDiagnostic): string {
  const where =
    d.range.start.line === d.range.end.line
      ? `line ${d.range.start.line + 1}`
      : `lines ${d.range.start.line + 1}-${d.range.end.line + 1}`;
  const kind = SEVERITY[d.severity ?? 0] || "problem";
  const origin = [d.source, d.code].filter((x) => x !== undefined && x !== "").join(" ");
  const related = (d.relatedInformation ?? [])
    .map((r) => `\n  related (line ${r.location.range.start.line + 1} of ${r.location.uri}): ${r.message}`)
    .join("");
  return `- ${where}, ${kind}${origin ? ` [${origin}]` : ""}: ${d.message}${related}`;
}

/** A tagged block, exact to the character: a text that ends inside a line ends right at the closing tag. */
function block(tag: string, text: string): string {
  return `<${tag}>\n${text}</${tag}>`;
}

/**
 * The messages of the edit with the given surrounding lines. The code before ends with the text
 * before the range on its line and the code after begins with the text after it on its line, so
 * the exact range is clear even when it starts or ends inside a line.
 */
export function buildEditMessages(source: EditSource, surroundings: Surroundings): ChatMessage[] {
  const insert = source.selection === "";
  const before = [...surroundings.before, ""].join("\n") + source.linePrefix;
  const after = source.lineSuffix + (surroundings.after.length > 0 ? `\n${surroundings.after.join("\n")}` : "");
  const lineCount = source.selection.split("\n").length;
  const lines =
    lineCount === 1
      ? `line ${source.startLine + 1}`
      : `lines ${source.startLine + 1}-${source.startLine + lineCount - (source.selection.endsWith("\n") ? 1 : 0)}`;
  const parts = [`File: ${source.path}`, `Language: ${source.languageId}`, ""];
  parts.push("The code before the " + (insert ? "cursor" : "selection") + ":", block("code_before", before), "");
  if (insert) parts.push(`The cursor is at line ${source.startLine + 1}, between code_before and code_after.`, "");
  else parts.push(`The selection (${lines}), which your answer replaces:`, block("selection", source.selection), "");
  parts.push("The code after the " + (insert ? "cursor" : "selection") + ":", block("code_after", after), "");
  if (source.diagnostics.length > 0) {
    parts.push("Diagnostics reported in this code:", ...source.diagnostics.map(diagnosticLine), "");
  }
  if (source.previous !== undefined) {
    parts.push(
      `First instruction: ${source.previous.instruction}`,
      "",
      `Your previous answer for it:`,
      block("previous_answer", source.previous.text),
      "",
      `Now refine your previous answer: ${source.instruction}`,
      "",
      `Answer with the complete new text for the ${insert ? "cursor position" : "selection"}, as it should be after both instructions.`,
    );
  } else {
    parts.push(`Instruction: ${source.instruction}`);
  }
  return [
    { role: "system", content: systemMessage(source) },
    { role: "user", content: parts.join("\n") },
  ];
}

/** Tokens of the messages as the model will see them, template included. */
export async function countMessages(messages: readonly ChatMessage[], count: CountTokens): Promise<number> {
  let total = TEMPLATE_OVERHEAD_TOKENS;
  for (const m of messages) total += await count(m.content);
  return total;
}

/**
 * The most tokens the answer may take: the text it rewrites (the selection, or for a follow-up the
 * longer of it and the previous attempt) grown by half plus a margin, or `INSERT_MAX_TOKENS` for an insert.
 */
export function answerLimit(rewrittenTokens: number): number {
  if (rewrittenTokens === 0) return INSERT_MAX_TOKENS;
  return Math.ceil(rewrittenTokens * ANSWER_GROWTH) + ANSWER_MARGIN_TOKENS;
}

/** The figures of an edit that does not fit the context, for the message that refuses it. */
export interface TooLarge {
  selectionTokens: number;
  promptTokens: number;
  answerTokens: number;
  contextSize: number;
}

/** The answer limit of an insert in a context that has only `room` tokens left for it. */
export function insertLimit(room: number): number | undefined {
  const limit = Math.min(INSERT_MAX_TOKENS, room);
  return limit >= INSERT_MIN_TOKENS ? limit : undefined;
}

export function tooLargeMessage(t: TooLarge): string {
  const n = (x: number): string => x.toLocaleString("en-US");
  return (
    `The selection is too large for the edit model: it is ${n(t.selectionTokens)} tokens, the prompt with it ` +
    `${n(t.promptTokens)} and the answer may take ${n(t.answerTokens)} more, ${n(t.promptTokens + t.answerTokens)} ` +
    `tokens in all, but the model's context holds ${n(t.contextSize)}. Select less, or use a model with a larger context.`
  );
}

function estimate(line: string): number {
  return Math.ceil(line.length / CHARS_PER_TOKEN_ESTIMATE) + 1;
}

/**
 * The nearest lines before and after the range that fit `budget` tokens, two thirds of it before.
 * Lines are picked by a cheap estimate, then the pick is counted with the engine's tokenizer and
 * cut further while it is over (the estimate is rough for unusual text).
 */
export async function chooseSurroundings(
  source: Pick<EditSource, "linesBefore" | "linesAfter">,
  budget: number,
  count: CountTokens,
): Promise<Surroundings> {
  if (budget <= 0) return { before: [], after: [] };
  const take = (lines: readonly string[], tokens: number, fromEnd: boolean): number => {
    let used = 0;
    let n = 0;
    while (n < lines.length) {
      const line = lines[fromEnd ? lines.length - 1 - n : n]!;
      if (used + estimate(line) > tokens) break;
      used += estimate(line);
      n++;
    }
    return n;
  };
  let beforeBudget = Math.floor(budget * BEFORE_SHARE);
  let nBefore = take(source.linesBefore, beforeBudget, true);
  const usedBefore = source.linesBefore.slice(source.linesBefore.length - nBefore).reduce((a, l) => a + estimate(l), 0);
  let nAfter = take(source.linesAfter, budget - usedBefore, false);
  if (nAfter === source.linesAfter.length) {
    // The code after ended early: the code before may use what it left.
    beforeBudget = budget - source.linesAfter.reduce((a, l) => a + estimate(l), 0);
    nBefore = take(source.linesBefore, beforeBudget, true);
  }
  for (let attempt = 0; attempt < 4; attempt++) {
    const before = source.linesBefore.slice(source.linesBefore.length - nBefore);
    const after = source.linesAfter.slice(0, nAfter);
    const counted = await count([...before, ...after].join("\n"));
    if (counted <= budget) return { before, after };
    // Over: keep the share that fits, farthest lines first out.
    const keep = budget / counted;
    nBefore = Math.floor(nBefore * keep);
    nAfter = Math.floor(nAfter * keep);
  }
  return { before: [], after: [] };
}
