/** Jira issues as work items. */
import type { PostedComment, WorkItem, WorkItemQuery, WorkItemSource } from "../workItem.js";
import { adfToMarkdown } from "./adf.js";
import type { JiraClient } from "./client.js";
import type { JiraIssue, JiraRichText } from "./types.js";
import { wikiToMarkdown } from "./wiki.js";

/** Renders a rich-text field, ADF (Cloud v3) or wiki markup (v2, Data Center), as Markdown. */
export function richTextToMarkdown(value: JiraRichText | undefined): string {
  if (value === null || value === undefined) return "";
  return typeof value === "string" ? wikiToMarkdown(value) : adfToMarkdown(value);
}

const KEY = /^[A-Z][A-Z0-9_]*-\d+$/;

/** The issue key in a key or a browse URL (`https://acme.atlassian.net/browse/ABC-12`). */
export function parseJiraKey(text: string): string {
  const t = text.trim();
  const fromUrl =
    /\/browse\/([A-Z][A-Z0-9_]*-\d+)(?:[/?#].*)?$/.exec(t)?.[1] ??
    /[?&]selectedIssue=([A-Z][A-Z0-9_]*-\d+)/.exec(t)?.[1];
  const key = fromUrl ?? t.toUpperCase();
  if (!KEY.test(key)) throw new Error(`'${text}' is not a Jira issue key; write it as ABC-12 or its browse URL`);
  return key;
}

export function jiraIssueToWorkItem(issue: JiraIssue, browseUrl: string, withComments: boolean): WorkItem {
  const f = issue.fields;
  const item: WorkItem = {
    source: "jira",
    key: issue.key,
    url: browseUrl,
    title: f.summary,
    body: richTextToMarkdown(f.description),
    status: f.status.name,
    labels: f.labels,
    ...(f.updated && { updatedAt: f.updated }),
    comments: withComments
      ? (f.comment?.comments ?? []).map((c) => ({
          id: c.id,
          author: c.author?.displayName ?? "unknown",
          body: richTextToMarkdown(c.body),
          createdAt: c.created,
        }))
      : [],
    links: (f.issuelinks ?? []).flatMap((l) => {
      const other = l.outwardIssue ?? l.inwardIssue;
      if (!other) return [];
      const verb = l.outwardIssue ? l.type.outward : l.type.inward;
      return [
        {
          title: `${verb} ${other.key}${other.fields?.summary ? `: ${other.fields.summary}` : ""}`,
          url: browseUrl.replace(/[^/]+$/, other.key),
          kind: "related" as const,
        },
      ];
    }),
    stackTraces: [],
  };
  if (f.assignee) item.assignee = f.assignee.displayName;
  return item;
}

export class JiraWorkItemSource implements WorkItemSource {
  readonly name = "jira" as const;

  /**
   * @param defaultJql what `list` searches without a query. Defaults to the user's open issues.
   */
  constructor(
    readonly client: JiraClient,
    readonly defaultJql = "assignee = currentUser() AND statusCategory != Done ORDER BY updated DESC",
  ) {}

  /** Issues matching `query.text` as JQL. */
  async list(query: WorkItemQuery = {}): Promise<WorkItem[]> {
    const jql = query.text?.trim() || this.defaultJql;
    const issues = await this.client.search(jql, query.limit ?? 50);
    return issues.map((i) => jiraIssueToWorkItem(i, this.client.browseUrl(i.key), false));
  }

  async get(key: string): Promise<WorkItem> {
    const k = parseJiraKey(key);
    const issue = await this.client.getIssue(k);
    return jiraIssueToWorkItem(issue, this.client.browseUrl(issue.key), true);
  }

  async comment(key: string, body: string): Promise<PostedComment> {
    const k = parseJiraKey(key);
    const c = await this.client.addComment(k, body);
    return { id: c.id, url: `${this.client.browseUrl(k)}?focusedCommentId=${c.id}` };
  }
}
