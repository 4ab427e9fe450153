/** Sentry issues as work items, with the latest event's exception frames mapped onto the workspace. */
import { sentryDiagnostics, type WorkspaceDiagnostic } from "./diagnostics.js";
import { mapFramesToWorkspace, type FileExists } from "../stackFrames.js";
import type { PostedComment, StackFrame, StackTrace, WorkItem, WorkItemQuery, WorkItemSource } from "../workItem.js";
import type { SentryClient } from "./client.js";
import type { SentryEvent, SentryException, SentryIssue } from "./types.js";

/** The exception stack traces of an event, frames oldest first, as Sentry sends them. */
export function stackTracesOf(event: SentryEvent): StackTrace[] {
  const traces: StackTrace[] = [];
  for (const entry of event.entries) {
    if (entry.type !== "exception") continue;
    for (const ex of (entry.data as { values?: SentryException[] }).values ?? []) {
      const frames: StackFrame[] = (ex.stacktrace?.frames ?? []).map((f) => {
        const frame: StackFrame = {
          file: f.absPath ?? f.filename ?? f.module ?? "<unknown>",
          context: (f.context ?? []).map(([line, text]) => ({ line, text })),
          inApp: f.inApp === true,
        };
        if (f.lineNo !== null) frame.line = f.lineNo;
        if (f.colNo !== null) frame.column = f.colNo;
        if (f.function) frame.function = f.function;
        return frame;
      });
      const trace: StackTrace = { frames };
      if (ex.type) trace.type = ex.type;
      if (ex.value) trace.message = ex.value;
      traces.push(trace);
    }
  }
  return traces;
}

export function sentryIssueToWorkItem(issue: SentryIssue, traces: StackTrace[] = []): WorkItem {
  const meta = issue.metadata;
  const lines = [
    `**${meta.type ?? issue.title}**${meta.value ? `: ${meta.value}` : ""}`,
    "",
    `- Culprit: \`${issue.culprit}\``,
    `- Level: ${issue.level}; ${issue.count} events, ${issue.userCount} users`,
    `- First seen ${issue.firstSeen}, last seen ${issue.lastSeen}`,
  ];
  return {
    source: "sentry",
    key: issue.id,
    url: issue.permalink,
    title: `${issue.shortId}: ${issue.title}`,
    body: lines.join("\n"),
    status: issue.status,
    labels: [issue.level, issue.project.slug],
    updatedAt: issue.lastSeen,
    comments: [],
    links: [{ title: `Sentry ${issue.shortId}`, url: issue.permalink, kind: "web" }],
    stackTraces: traces,
  };
}

export interface SentrySourceOptions {
  /** The project slug `list` reads. */
  project: string;
  /** The workspace root frames are mapped onto. */
  workspaceRoot: string;
  /** Whether a workspace-relative path is a file. */
  exists: FileExists;
}

export class SentryWorkItemSource implements WorkItemSource {
  readonly name = "sentry" as const;

  constructor(
    readonly client: SentryClient,
    readonly options: SentrySourceOptions,
  ) {}

  /** Unresolved issues of the configured project; `query.text` narrows them with Sentry's search syntax. */
  async list(query: WorkItemQuery = {}): Promise<WorkItem[]> {
    if (this.options.project === "")
      throw new Error("Sentry: set SENTRY_PROJECT to the project slug whose issues to list");
    const issues = await this.client.listUnresolvedIssues(this.options.project, {
      limit: query.limit ?? 50,
      ...(query.text ? { query: query.text } : {}),
    });
    return issues.map((i) => sentryIssueToWorkItem(i));
  }

  /** The issue (by id, short id or URL) with its latest event's frames mapped onto the workspace. */
  async get(key: string): Promise<WorkItem> {
    const issue = await this.client.getIssue(parseSentryKey(key));
    const event = await this.client.latestEvent(issue.id);
    const traces = stackTracesOf(event).map((t) => ({
      ...t,
      frames: mapFramesToWorkspace(t.frames, this.options.workspaceRoot, this.options.exists),
    }));
    return sentryIssueToWorkItem(issue, traces);
  }

  /**
   * The project's unresolved issues as diagnostics at their newest in-app workspace frame: the
   * latest event of each of the `limit` most recent issues is fetched (one request each), so the
   * limit bounds the requests a refresh makes.
   */
  async workspaceDiagnostics(limit: number): Promise<WorkspaceDiagnostic[]> {
    if (this.options.project === "") return [];
    const issues = await this.client.listUnresolvedIssues(this.options.project, { limit });
    const withTraces = await Promise.all(
      issues.map(async (issue) => {
        const event = await this.client.latestEvent(issue.id);
        const stackTraces = stackTracesOf(event).map((t) => ({
          ...t,
          frames: mapFramesToWorkspace(t.frames, this.options.workspaceRoot, this.options.exists),
        }));
        return { issue, stackTraces };
      }),
    );
    return sentryDiagnostics(withTraces);
  }

  async comment(key: string, body: string): Promise<PostedComment> {
    const issue = await this.client.getIssue(parseSentryKey(key));
    const note = await this.client.addNote(issue.id, body);
    return { id: note.id, url: `${issue.permalink.replace(/\/?$/, "/")}activity/` };
  }
}

/** The id in a Sentry issue URL (`…/issues/1234/`), or the key itself (an id or a short id). */
export function parseSentryKey(text: string): string {
  const fromUrl = /\/issues\/(\d+)(?:\/|$|\?)/.exec(text.trim())?.[1];
  return fromUrl ?? text.trim();
}
