/**
 * One model of work, whatever tracker it comes from. The agent and the workflows see only this and
 * `WorkItemSource`; each tracker maps its own shapes into it.
 */

export type WorkItemSourceName = "github" | "jira" | "sentry";

export interface WorkItemComment {
  /** The tracker's id of the comment, as a string. */
  id: string;
  author: string;
  /** Markdown (Jira's ADF and wiki markup are rendered to it). */
  body: string;
  /** ISO 8601. */
  createdAt: string;
  url?: string;
}

export interface WorkItemLink {
  title: string;
  url: string;
  /** What the link is: a pull request, a remote link, the web page, ... */
  kind: "pullRequest" | "remote" | "web" | "related";
}

export interface StackFrame {
  /** The file as the runtime reported it (absolute, URL-like or relative). */
  file: string;
  /** The same file relative to the workspace root, when it exists there. */
  workspacePath?: string;
  /** 1-based. */
  line?: number;
  /** 1-based. */
  column?: number;
  function?: string;
  /** Source lines around the frame as the tracker recorded them, each with its 1-based line number. */
  context: { line: number; text: string }[];
  /** Whether the tracker counts the frame as application code rather than a library. */
  inApp: boolean;
}

export interface StackTrace {
  /** The exception type (`TypeError`). */
  type?: string;
  message?: string;
  /** Oldest call first: the frame that threw is the last. */
  frames: StackFrame[];
}

export interface WorkItem {
  source: WorkItemSourceName;
  /** The key `get` accepts: `owner/repo#12`, `ABC-12`, the Sentry issue id. */
  key: string;
  /** The item's web page. */
  url: string;
  title: string;
  /** Markdown. */
  body: string;
  /** The tracker's own status name (`open`, `In Progress`, `unresolved`). */
  status: string;
  labels: string[];
  assignee?: string;
  /** When the item last changed (ISO 8601): GitHub's `updated_at`, Jira's `updated`, Sentry's last event. */
  updatedAt?: string;
  /** Empty in `list` results; `get` fills it. */
  comments: WorkItemComment[];
  links: WorkItemLink[];
  stackTraces: StackTrace[];
}

export interface WorkItemQuery {
  /** The tracker's query language: a GitHub search query, JQL, a Sentry issue search. */
  text?: string;
  /** The most items to return. Defaults to 50. */
  limit?: number;
}

export interface PostedComment {
  id: string;
  url?: string;
}

/** A tracker the agent can read work from and write results back to. */
export interface WorkItemSource {
  readonly name: WorkItemSourceName;
  list(query?: WorkItemQuery): Promise<WorkItem[]>;
  get(key: string): Promise<WorkItem>;
  comment(key: string, body: string): Promise<PostedComment>;
}
