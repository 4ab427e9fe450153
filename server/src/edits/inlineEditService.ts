/**
 * The inline edit: an open document's range and an instruction → the prompt → `engine.edit()` on
 * the edit role with the original text as the prediction, at interactive priority → the cleaned
 * replacement, streamed as it comes → one `TextDocumentEdit` for exactly the version asked about.
 *
 * Everything that can be refused is refused before the engine is asked for anything: a document
 * the host does not hold, a version other than the host's, a range outside the document, and an
 * edit too large for the model's context. Knows nothing of LSP: the handler turns `EditRefusal`
 * reasons into error codes and the callbacks into `$/progress`.
 */
import path from "node:path";
import { fileURLToPath } from "node:url";
import type { Engine, FinishReason, Usage } from "@bora/inference";
import type { InlineEditParams, InlineEditResult, Problem } from "@bora/protocol";
import type { TextDocument } from "vscode-languageserver-textdocument";
import type { RuleFile } from "../agent/rules.js";
import {
  MAX_SURROUNDING_TOKENS,
  answerLimit,
  buildEditMessages,
  chooseSurroundings,
  countMessages,
  insertLimit,
  tooLargeMessage,
  type EditSource,
} from "./editPrompt.js";
import { StreamingCleaner } from "./outputCleaner.js";

/** Why an edit was refused before anything was generated (or, `cancelled`, stopped). */
export type RefusalReason =
  "unknownDocument" | "staleVersion" | "rangeOutside" | "editTooLarge" | "noEngine" | "cancelled";

export class EditRefusal extends Error {
  override readonly name = "EditRefusal";
  constructor(
    readonly reason: RefusalReason,
    readonly problem: Problem,
  ) {
    super(problem.message);
  }
}

function refuse(reason: RefusalReason, message: string, extra: Partial<Problem> = {}): EditRefusal {
  return new EditRefusal(reason, { code: reason, message, ...extra });
}

/** Least time between two token-count reports while the answer streams: a status line, not a meter. */
export const PROGRESS_INTERVAL_MS = 250;

export interface InlineEditDeps {
  /** The text the host holds of an open document (from `didOpen`/`didChange`), or undefined. */
  document(uri: string): TextDocument | undefined;
  /** The edit role's engine; rejects with an `EditRefusal` (`noEngine`) or the engine's own error. */
  engine(): Promise<Engine>;
  /** The workspace folder holding `uri`, whose rules apply; undefined outside any. */
  workspaceRoot(uri: string): Promise<string | undefined>;
  loadRules(root: string): Promise<RuleFile[]>;
}

export interface InlineEditCallbacks {
  signal: AbortSignal;
  /** The next piece of the cleaned replacement. */
  onDelta?(delta: string): void;
  /** Tokens generated so far, now and then. */
  onTokens?(generated: number): void;
}

/** The checks that need no engine: the document is held, at this version, and the range is inside it. */
export function checkTarget(params: InlineEditParams, document: TextDocument | undefined): TextDocument {
  const { uri, version } = params.textDocument;
  if (document === undefined) {
    throw refuse(
      "unknownDocument",
      `${uri} is not open in the host: the client must send textDocument/didOpen before asking for an edit (and a closed document cannot be edited).`,
    );
  }
  if (document.version !== version) {
    throw refuse(
      "staleVersion",
      `${uri} is at version ${document.version} in the host, not ${version}: the document changed since the range was taken. Ask again with the current version.`,
    );
  }
  const { start, end } = params.range;
  const lastLine = document.lineCount - 1;
  const lineLength = (line: number): number =>
    document.getText({ start: { line, character: 0 }, end: { line: line + 1, character: 0 } }).replace(/\r?\n$/, "")
      .length;
  const where = (p: { line: number; character: number }): string => `${p.line}:${p.character}`;
  for (const p of [start, end]) {
    if (p.line > lastLine || p.character > lineLength(p.line)) {
      throw refuse(
        "rangeOutside",
        `The range ${where(start)}-${where(end)} is outside ${uri}: position ${where(p)} is past ${p.line > lastLine ? `its last line (${lastLine})` : `the end of line ${p.line} (${lineLength(p.line)} characters)`}.`,
      );
    }
  }
  if (start.line > end.line || (start.line === end.line && start.character > end.character)) {
    throw refuse("rangeOutside", `The range ${where(start)}-${where(end)} ends before it starts.`);
  }
  return document;
}

function displayPath(uri: string, root: string | undefined): string {
  if (!uri.startsWith("file:")) return uri;
  const file = fileURLToPath(uri);
  if (root !== undefined) {
    const relative = path.relative(root, file);
    if (!relative.startsWith("..") && !path.isAbsolute(relative)) return relative.split(path.sep).join("/");
  }
  return path.basename(file);
}

const indentOf = (line: string): string => /^[ \t]*/.exec(line)![0];

/** The indentation inserted code takes: the cursor line's, or the nearest non-blank line's above it. */
function insertIndent(linesBefore: readonly string[], line: string): string {
  if (line.trim() !== "") return indentOf(line);
  for (let i = linesBefore.length - 1; i >= 0; i--) if (linesBefore[i]!.trim() !== "") return indentOf(linesBefore[i]!);
  return "";
}

/** Runs one inline edit; resolves with the protocol's result or rejects with an `EditRefusal` or an engine error. */
export async function runInlineEdit(
  params: InlineEditParams,
  deps: InlineEditDeps,
  callbacks: InlineEditCallbacks,
): Promise<InlineEditResult> {
  const started = performance.now();
  const document = checkTarget(params, deps.document(params.textDocument.uri));
  const engine = await deps.engine();
  const { signal } = callbacks;
  const count = (text: string): Promise<number> => engine.countTokens(text, signal);

  const text = document.getText();
  const eol = text.includes("\r\n") ? "\r\n" : "\n";
  const lf = (s: string): string => s.replace(/\r\n/g, "\n");
  const { start, end } = params.range;
  const selection = document.getText(params.range);
  const startOfLine = { line: start.line, character: 0 };
  const endLineEnd = document.offsetAt({ line: end.line + 1, character: 0 });
  const lineSuffix = lf(text.slice(document.offsetAt(end), endLineEnd)).replace(/\n$/, "");
  const linePrefix = document.getText({ start: startOfLine, end: start });
  const allLines = lf(text).split("\n");
  const linesBefore = allLines.slice(0, start.line);
  // The last line of the range counts as covered when the range ends at its start (whole lines selected).
  const linesAfter = allLines.slice(end.line + 1);
  if (text.endsWith("\n") && linesAfter[linesAfter.length - 1] === "") linesAfter.pop();

  const root = await deps.workspaceRoot(params.textDocument.uri);
  const rules = root === undefined ? [] : await deps.loadRules(root);
  const source: EditSource = {
    path: displayPath(params.textDocument.uri, root),
    languageId: document.languageId,
    selection: lf(selection),
    startLine: start.line,
    linePrefix: lf(linePrefix),
    lineSuffix,
    linesBefore,
    linesAfter,
    instruction: params.instruction,
    diagnostics: params.diagnostics ?? [],
    ...(params.previous !== undefined ? { previous: { ...params.previous, text: lf(params.previous.text) } } : {}),
    rules,
  };

  // Sizes first, on the prompt without surrounding code: a selection that cannot fit is refused now.
  const { contextSize } = engine.info;
  const selectionTokens = source.selection === "" ? 0 : await count(source.selection);
  const previousTokens =
    source.previous === undefined || source.previous.text === "" ? 0 : await count(source.previous.text);
  const minimal = buildEditMessages(source, { before: [], after: [] });
  const promptTokens = await countMessages(minimal, count);
  const rewritten = Math.max(selectionTokens, previousTokens);
  let maxTokens = answerLimit(rewritten);
  if (rewritten === 0) maxTokens = insertLimit(contextSize - promptTokens) ?? maxTokens;
  if (promptTokens + maxTokens > contextSize) {
    throw refuse(
      "editTooLarge",
      tooLargeMessage({ selectionTokens: rewritten, promptTokens, answerTokens: maxTokens, contextSize }),
    );
  }
  const budget = Math.min(MAX_SURROUNDING_TOKENS, contextSize - promptTokens - maxTokens);
  const surroundings = await chooseSurroundings(source, budget, count);
  const messages = buildEditMessages(source, surroundings);

  const cleaner = new StreamingCleaner({
    original: selection,
    linePrefix: source.linePrefix,
    eol,
    ...(source.selection === ""
      ? {
          baseIndent: insertIndent(linesBefore, allLines[start.line] ?? ""),
          // At the start of a line with code on it, whole lines go in above that code.
          trailingNewline: source.linePrefix === "" && lineSuffix.trim() !== "",
        }
      : {}),
  });
  let replacement = "";
  const emit = (delta: string): void => {
    if (delta === "") return;
    replacement += delta;
    callbacks.onDelta?.(delta);
  };
  let raw = "";
  let lastReport = 0;
  let reported = 0;
  const reportTokens = (): void => {
    const now = performance.now();
    if (callbacks.onTokens === undefined || now - lastReport < PROGRESS_INTERVAL_MS) return;
    lastReport = now;
    void engine.countTokens(raw).then(
      (n) => {
        // Counts may come back out of order; progress only goes forward.
        if (n > reported) callbacks.onTokens?.((reported = n));
      },
      () => undefined,
    );
  };

  let finishReason: FinishReason | undefined;
  let usage: Usage = { promptTokens: 0, completionTokens: 0 };
  const stream = engine.edit({
    messages,
    // For a follow-up the model rewrites its previous attempt, which is then what the answer resembles.
    prediction: source.previous?.text ?? source.selection,
    maxTokens,
    priority: "interactive",
    signal,
  });
  for await (const event of stream) {
    if (event.type === "text") {
      raw += event.text;
      emit(cleaner.push(event.text));
      reportTokens();
    } else if (event.type === "done") {
      finishReason = event.finishReason;
      usage = { ...event.usage };
    }
  }
  if (finishReason === "aborted" || signal.aborted) throw refuse("cancelled", "The edit was cancelled.");
  emit(cleaner.finish());
  return {
    edit: {
      documentChanges: [
        {
          textDocument: { uri: params.textDocument.uri, version: params.textDocument.version },
          edits: [{ range: params.range, newText: replacement }],
        },
      ],
    },
    finishReason: finishReason === "length" ? "length" : "stop",
    stats: {
      promptTokens: usage.promptTokens,
      generatedTokens: usage.completionTokens,
      predictedTokensAccepted: usage.acceptedPredictionTokens ?? 0,
      ms: Math.round(performance.now() - started),
    },
  };
}
