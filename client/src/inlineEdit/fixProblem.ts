/**
 * The instruction Fix Problem sends for a diagnostic, and the diagnostics that go with it. Pure:
 * the adapter turns VS Code's diagnostics into `EditDiagnostic`s first.
 */
import {
  MAX_DIAGNOSTIC_TEXT_CHARS,
  MAX_EDIT_DIAGNOSTICS,
  MAX_INSTRUCTION_CHARS,
  type EditDiagnostic,
} from "@bora/protocol";
import { intersects, type LineRange } from "./ranges.js";

const SEVERITY_WORDS: Record<number, string> = { 1: "error", 2: "warning", 3: "information", 4: "hint" };

/**
 * Related locations quoted in the instruction: the first few say where a name was declared or
 * what conflicts; more add tokens without helping.
 */
export const MAX_RELATED_IN_INSTRUCTION = 8;

/** "Fix this TypeScript error (ts 2304): Cannot find name 'totl'." with the related information below. */
export function fixInstruction(diagnostic: EditDiagnostic, fileName: (uri: string) => string = (uri) => uri): string {
  const severity = SEVERITY_WORDS[diagnostic.severity ?? 1] ?? "problem";
  const origin = [diagnostic.source, diagnostic.code].filter((part) => part !== undefined && part !== "").join(" ");
  const head = `Fix this ${severity}${origin ? ` (${origin})` : ""} at line ${diagnostic.range.start.line + 1}: ${diagnostic.message}`;
  const related = (diagnostic.relatedInformation ?? [])
    .slice(0, MAX_RELATED_IN_INSTRUCTION)
    .map((info) => `- ${fileName(info.location.uri)}:${info.location.range.start.line + 1}: ${info.message}`);
  const text = [head, ...(related.length > 0 ? ["Related:", ...related] : [])].join("\n");
  return text.length > MAX_INSTRUCTION_CHARS ? text.slice(0, MAX_INSTRUCTION_CHARS) : text;
}

/**
 * The diagnostics that touch the range, the one being fixed first, within the protocol's limits
 * (a longer text is cut, not refused: the prompt still gets the gist).
 */
export function diagnosticsForRange(
  range: LineRange,
  fixing: EditDiagnostic | undefined,
  all: readonly EditDiagnostic[],
): EditDiagnostic[] {
  const others = all.filter((d) => d !== fixing && intersects(d.range, range));
  return [...(fixing ? [fixing] : []), ...others].slice(0, MAX_EDIT_DIAGNOSTICS).map(clip);
}

function clip(diagnostic: EditDiagnostic): EditDiagnostic {
  const cut = (text: string): string => text.slice(0, MAX_DIAGNOSTIC_TEXT_CHARS);
  return {
    ...diagnostic,
    message: cut(diagnostic.message),
    ...(diagnostic.source !== undefined ? { source: cut(diagnostic.source) } : {}),
    ...(typeof diagnostic.code === "string" ? { code: cut(diagnostic.code) } : {}),
    ...(diagnostic.relatedInformation
      ? {
          relatedInformation: diagnostic.relatedInformation
            .slice(0, 16)
            .map((info) => ({ ...info, message: cut(info.message) })),
        }
      : {}),
  };
}
