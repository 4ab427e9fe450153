/**
 * Sentry issues whose frames point into the workspace, as LSP diagnostics data: the host publishes
 * them (and the client shows them) later. The frame chosen is the newest in-app frame that maps
 * to a workspace file, where the error surfaced in the user's own code.
 */
import type { Diagnostic } from "vscode-languageserver";
import type { StackTrace } from "../workItem.js";
import type { SentryIssue } from "./types.js";

/** LSP's DiagnosticSeverity values, spelled out so this module stays a plain data function. */
const SEVERITY = { warning: 2, info: 3 } as const;

export interface WorkspaceDiagnostic {
  /** Workspace-relative path of the file. */
  path: string;
  diagnostic: Diagnostic;
}

/**
 * A production error is a warning in the file, whatever its Sentry level: the code compiles and
 * runs, and an Error would mark the file as broken in the explorer and the Problems count.
 */
function severityOf(level: string): Diagnostic["severity"] {
  return level === "info" || level === "debug" ? SEVERITY.info : SEVERITY.warning;
}

/** One diagnostic per issue, at the newest workspace frame of its stack traces; none when no frame maps. */
export function sentryDiagnostics(issues: { issue: SentryIssue; stackTraces: StackTrace[] }[]): WorkspaceDiagnostic[] {
  const out: WorkspaceDiagnostic[] = [];
  for (const { issue, stackTraces } of issues) {
    const frames = stackTraces
      .flatMap((t) => t.frames)
      .filter((f) => f.workspacePath !== undefined && f.line !== undefined);
    const frame = [...frames].reverse().find((f) => f.inApp) ?? frames[frames.length - 1];
    if (!frame?.workspacePath || frame.line === undefined) continue;
    const line = Math.max(0, frame.line - 1);
    // Without the file's text the line length is unknown: a known column marks one character
    // (editors widen it to the word), an unknown one the whole line.
    const column = frame.column === undefined ? undefined : Math.max(0, frame.column - 1);
    const range =
      column === undefined
        ? { start: { line, character: 0 }, end: { line: line + 1, character: 0 } }
        : { start: { line, character: column }, end: { line, character: column + 1 } };
    const count = Number(issue.count);
    const events = `${Number.isFinite(count) ? count : issue.count} event${count === 1 ? "" : "s"}`;
    out.push({
      path: frame.workspacePath,
      diagnostic: {
        range,
        severity: severityOf(issue.level),
        source: "Sentry",
        code: issue.shortId,
        codeDescription: { href: issue.permalink },
        message: `${issue.shortId}: ${issue.title} (${events}, ${issue.userCount} user${issue.userCount === 1 ? "" : "s"})`,
        data: {
          issueId: issue.id,
          shortId: issue.shortId,
          count,
          lastSeen: issue.lastSeen,
          permalink: issue.permalink,
        },
      },
    });
  }
  return out;
}
