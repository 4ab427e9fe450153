/**
 * What a durable task writes where people read it: the commit message, the pull request's body, the
 * tracker comment and the Slack line. Pure functions of the task's recorded facts, so a replayed step
 * writes the same text, and success is stated from evidence (the checks that ran and their result),
 * never from the model's opinion of its own work.
 */

export interface CheckEvidence {
  command: string;
  /** Null when the command was killed (time limit). */
  exitCode: number | null;
  ok: boolean;
  durationMs: number;
  /** The end of the output, which is where test runners put their verdict. */
  outputTail: string;
  /** `bubblewrap` or `unsandboxed`. */
  sandbox: string;
}

/** Output lines quoted in a PR body or comment: enough to show the verdict, not a whole log. */
export const EVIDENCE_TAIL_LINES = 30;

export function tailLines(text: string, lines = EVIDENCE_TAIL_LINES): string {
  const all = text.replace(/\s+$/, "").split("\n");
  return all.slice(-lines).join("\n");
}

export function commitMessage(
  item: { key: string; title: string; url?: string },
  taskId: string,
  answer: string,
): string {
  const subject = prTitle(item).slice(0, 72);
  const body = answer.trim() === "" ? "" : `\n\n${answer.trim()}`;
  return `${subject}${body}\n\nBora-Task: ${taskId}\n`;
}

/**
 * A work-in-progress commit of a team task, pushed after each tool call so that a worker on another
 * machine can rebuild the worktree from the branch (`issueToPr.ts`). It names the key like the final commit.
 */
export function workInProgressMessage(item: { key: string }, taskId: string, turn: number): string {
  return `${item.key}: work in progress (agent turn ${turn})\n\nBora-Task: ${taskId}\n`;
}

export function checksSection(checks: CheckEvidence | undefined): string {
  if (checks === undefined) return "### Checks\n\nNo checks were configured: review the change by hand.";
  const verdict = checks.ok
    ? `passed (exit 0, ${(checks.durationMs / 1000).toFixed(1)} s)`
    : `**failed** (${checks.exitCode === null ? "stopped" : `exit ${checks.exitCode}`}, ${(checks.durationMs / 1000).toFixed(1)} s)`;
  return [
    "### Checks",
    "",
    `\`${checks.command}\` ${verdict}, run in the ${checks.sandbox === "bubblewrap" ? "sandbox" : "workspace without a sandbox"}.`,
    "",
    "<details><summary>Output (end)</summary>",
    "",
    "```",
    tailLines(checks.outputTail).replace(/```/g, "'''"),
    "```",
    "",
    "</details>",
  ].join("\n");
}

export interface PrFacts {
  taskId: string;
  subject: { key: string; title: string; url?: string };
  answer: string;
  checks?: CheckEvidence;
}

export function prTitle(subject: { key: string; title: string; url?: string }): string {
  // A background task has no key worth a reader's time: its title is the instruction.
  const title =
    subject.url === undefined && subject.key === "task" ? subject.title : `${subject.key}: ${subject.title}`;
  return title.replace(/\s+/g, " ").slice(0, 200);
}

export function prBody(facts: PrFacts): string {
  return [
    facts.subject.url
      ? `Bora worked on [${facts.subject.key}](${facts.subject.url}): ${facts.subject.title}`
      : `Bora worked on: ${facts.subject.title}`,
    "",
    "### What the agent says it did",
    "",
    facts.answer.trim() === "" ? "(no summary)" : facts.answer.trim(),
    "",
    checksSection(facts.checks),
    "",
    `Task \`${facts.taskId}\`.`,
  ].join("\n");
}

export function trackerComment(prUrl: string, checks: CheckEvidence | undefined, draft: boolean): string {
  const state =
    checks === undefined ? "no checks were configured" : checks.ok ? "the checks pass" : "the checks still fail";
  return `Bora opened ${draft ? "a draft pull request" : "a pull request"} for this: ${prUrl} (${state}).`;
}

/** The checks' verdict in a few words, for Slack and lists. */
export function checksState(checks: CheckEvidence | undefined): string {
  return checks === undefined ? "no checks configured" : checks.ok ? "checks pass" : "checks still failing";
}
