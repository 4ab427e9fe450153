/**
 * From what the model wrote to what the editor shows: no more lines than allowed, nothing past the
 * line end when the cursor is in the middle of a line, no text the line already has after the
 * cursor, and nothing at all when the completion only repeats what follows the cursor.
 */
import type { PromptWindow } from "./promptWindow.js";

/**
 * Lines a completion may have here: one when the cursor has code after it on its line (ghost
 * text in the middle of a line cannot push that code down), else `maxLines`.
 */
export function lineLimit(window: Pick<PromptWindow, "lineSuffix">, maxLines: number): number {
  return window.lineSuffix.trim() === "" ? maxLines : 1;
}

/** The first line of `text` that is not blank, trimmed; "" when there is none. */
function firstNonBlankLine(text: string): string {
  for (const line of text.split("\n")) if (line.trim() !== "") return line.trim();
  return "";
}

/**
 * Whether `completion` only repeats the text after the cursor: empty, a start of the suffix, or
 * its first line is the suffix's first line (models often "complete" with the next line).
 */
export function repeatsSuffix(completion: string, suffix: string): boolean {
  const text = completion.trim();
  if (text === "") return true;
  if (suffix.trimStart().startsWith(text)) return true;
  const next = firstNonBlankLine(suffix);
  return next !== "" && firstNonBlankLine(completion) === next;
}

/** The longest end of `text` that the line's rest starts with (brackets and quotes the editor closed already). */
function overlapWithLineSuffix(text: string, lineSuffix: string): number {
  const rest = lineSuffix.trimStart();
  for (let n = Math.min(text.length, rest.length); n > 0; n--) {
    if (text.endsWith(rest.slice(0, n))) return n;
  }
  return 0;
}

/**
 * The completion to show for what the model wrote (`raw`) at this window, or undefined when
 * nothing is worth showing.
 */
export function cleanCompletion(
  raw: string,
  window: Pick<PromptWindow, "suffix" | "lineSuffix">,
  maxLines: number,
): string | undefined {
  let lines = raw.replace(/\r\n/g, "\n").split("\n").slice(0, lineLimit(window, maxLines));
  // The model went on into the code that follows: keep what comes before it.
  const next = firstNonBlankLine(window.suffix);
  const rejoin = lines.findIndex((line, i) => i > 0 && next !== "" && line.trim() === next);
  if (rejoin > 0) lines = lines.slice(0, rejoin);
  let text = lines.join("\n").trimEnd();
  if (lineLimit(window, maxLines) === 1)
    text = text.slice(0, text.length - overlapWithLineSuffix(text, window.lineSuffix));
  if (repeatsSuffix(text, window.suffix)) return undefined;
  return text;
}
