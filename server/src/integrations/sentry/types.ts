/**
 * The Sentry REST shapes Bora reads, written from Sentry's published OpenAPI description
 * (List a Project's Issues, Retrieve an Issue, Retrieve an Issue Event, Resolve a Short ID). The
 * description types event `entries` as `{}`; the exception entry below follows Sentry's event
 * payload documentation.
 */

export type SentryIssueStatus =
  "resolved" | "unresolved" | "ignored" | "pending_deletion" | "pending_merge" | "reprocessing";

export interface SentryIssue {
  id: string;
  shortId: string;
  title: string;
  culprit: string;
  permalink: string;
  status: SentryIssueStatus;
  level: string;
  /** Events seen, as a decimal string. */
  count: string;
  userCount: number;
  firstSeen: string;
  lastSeen: string;
  project: { id: string; name: string; slug: string };
  /** Error issues carry type, value and filename; other issue types a title. */
  metadata: { type?: string; value?: string; filename?: string; title?: string };
  statusDetails: Record<string, unknown>;
}

export interface SentryFrame {
  filename: string | null;
  absPath: string | null;
  module: string | null;
  function: string | null;
  lineNo: number | null;
  colNo: number | null;
  inApp: boolean | null;
  /** `[lineNo, text]` pairs around the frame. */
  context: [number, string][];
}

export interface SentryException {
  type: string | null;
  value: string | null;
  module?: string | null;
  mechanism?: { type: string; handled: boolean } | null;
  stacktrace: { frames: SentryFrame[]; framesOmitted?: number[] | null; hasSystemFrames?: boolean } | null;
}

export type SentryEntry =
  | { type: "exception"; data: { values: SentryException[]; hasSystemFrames?: boolean } }
  | { type: string; data: unknown };

export interface SentryEvent {
  id: string;
  eventID: string;
  groupID: string | null;
  dateCreated: string;
  title: string;
  message: string | null;
  platform: string;
  entries: SentryEntry[];
}

export interface SentryShortIdResolution {
  organizationSlug: string;
  projectSlug: string;
  groupId: string;
  shortId: string;
  group: SentryIssue;
}

/** The note activity Sentry creates for a comment. */
export interface SentryNote {
  id: string;
  type: "note";
  data: { text: string };
  dateCreated: string;
}
