/**
 * Lines as the inline edit sees them: each line keeps its terminator, so joining the lines gives the
 * text back byte for byte (CRLF and a missing final newline included). No `vscode` import.
 */

/** The lines of `text`, each with its `\n` or `\r\n`; the last one has none when the text does not end with one. */
export function splitLines(text: string): string[] {
  const lines: string[] = [];
  let start = 0;
  for (let i = text.indexOf("\n"); i !== -1; i = text.indexOf("\n", start)) {
    lines.push(text.slice(start, i + 1));
    start = i + 1;
  }
  if (start < text.length) lines.push(text.slice(start));
  return lines;
}

/** Whether the line ends with a line terminator. */
export function hasEol(line: string): boolean {
  return line.endsWith("\n");
}

/** The line without its terminator. */
export function lineContent(line: string): string {
  return line.replace(/\r?\n$/, "");
}

/** Every line ending of `text` made `eol` (the document's), so the proposal never mixes endings into the file. */
export function normaliseEol(text: string, eol: string): string {
  return text.replace(/\r?\n/g, eol);
}
