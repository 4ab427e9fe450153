/**
 * The Jira REST shapes Bora reads and writes, written from Atlassian's REST v2/v3 reference
 * (IssueBean, Comment, Transitions, SearchAndReconcileResults, RemoteIssueLink, ErrorCollection).
 * @types/jira-client types every response as `any`, so these are what the client and the fake
 * fixtures are checked against.
 */

/** An Atlassian Document Format node (Cloud, REST v3). */
export interface AdfNode {
  type: string;
  text?: string;
  attrs?: Record<string, unknown>;
  marks?: { type: string; attrs?: Record<string, unknown> }[];
  content?: AdfNode[];
}

export interface AdfDoc extends AdfNode {
  type: "doc";
  version: 1;
  content: AdfNode[];
}

/** A rich-text field: ADF on Cloud's v3, wiki markup on v2 and Data Center. */
export type JiraRichText = AdfDoc | string | null;

export interface JiraUser {
  accountId?: string;
  name?: string;
  key?: string;
  displayName: string;
  emailAddress?: string;
  active: boolean;
}

export interface JiraComment {
  id: string;
  self: string;
  author?: JiraUser;
  body: JiraRichText;
  created: string;
  updated: string;
}

/** PageOfComments: GET /issue/{key}/comment, paged with `startAt`. */
export interface JiraCommentPage {
  startAt: number;
  maxResults: number;
  total: number;
  comments: JiraComment[];
}

/** An entity property, as Comment's `properties` takes it on create. */
export interface JiraEntityProperty {
  key: string;
  value: unknown;
}

export interface JiraStatus {
  id: string;
  name: string;
  statusCategory?: { id: number; key: string; name: string };
}

export interface JiraIssueLink {
  id: string;
  type: { id: string; name: string; inward: string; outward: string };
  inwardIssue?: { id: string; key: string; fields?: { summary?: string } };
  outwardIssue?: { id: string; key: string; fields?: { summary?: string } };
}

export interface JiraIssueFields {
  summary: string;
  description: JiraRichText;
  status: JiraStatus;
  labels: string[];
  assignee: JiraUser | null;
  /** When the issue last changed (Jira's timestamp, e.g. `2026-01-06T10:00:00.000+0000`). */
  updated?: string;
  comment?: { comments: JiraComment[]; maxResults: number; total: number; startAt: number };
  issuelinks?: JiraIssueLink[];
}

export interface JiraIssue {
  id: string;
  key: string;
  self: string;
  fields: JiraIssueFields;
}

export interface JiraSearchJqlResponse {
  issues: JiraIssue[];
  nextPageToken?: string;
  isLast?: boolean;
}

/** The classic search page (Data Center's /rest/api/2/search). */
export interface JiraSearchResponse {
  issues: JiraIssue[];
  startAt: number;
  maxResults: number;
  total: number;
}

export interface JiraTransition {
  id: string;
  name: string;
  to: JiraStatus;
  hasScreen?: boolean;
}

export interface JiraTransitions {
  transitions: JiraTransition[];
}

export interface JiraRemoteLinkRequest {
  globalId?: string;
  application?: { type?: string; name?: string };
  relationship?: string;
  object: { url: string; title: string; summary?: string; icon?: { url16x16?: string; title?: string } };
}

export interface JiraRemoteLinkResponse {
  id: number;
  self: string;
}

export interface JiraErrorCollection {
  errorMessages: string[];
  errors: Record<string, string>;
  status?: number;
}
