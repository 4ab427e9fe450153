/** The integrations' public surface: the work-item model, the sources, notifications, crash reports. */
export * from "./workItem.js";
export { mapFramesToWorkspace, workspacePathOf, diskFileExists, type FileExists } from "./stackFrames.js";
export { HttpPolicy, type HttpPolicyOptions, type WaitNotice, type FetchFunction } from "../http/policy.js";
export { IntegrationError, type IntegrationErrorKind, type ServiceName } from "../http/errors.js";
export { MemoryAuditLog, lineAuditLog, formatAuditEntry, type AuditEntry, type AuditLog } from "../http/audit.js";
export { integrationConfigFromEnv, secretsOf, redactSecrets, ConfigError, type IntegrationConfig } from "./config.js";
export { createWorkItemSources, type WorkItemSources, type SourceOptions } from "./sources.js";
export {
  GitHubClient,
  fixesLine,
  type CreatePullRequest,
  type ListIssuesOptions,
  type OpenOrUpdatePullRequest,
  type WrittenComment,
  type WrittenPull,
} from "./github/client.js";
export { GitHubWorkItemSource, type GitHubQuery } from "./github/source.js";
export { parseIssueRef, parseRepo, formatIssueKey, type IssueRef, type RepoRef } from "./github/keys.js";
export { GITHUB_API_VERSION } from "./github/octokit.js";
export { JiraClient, JIRA_MARKER_PROPERTY, type JiraConnection, type JiraAuth } from "./jira/client.js";
export { JiraWorkItemSource, parseJiraKey, richTextToMarkdown } from "./jira/source.js";
export { adfToMarkdown, markdownToAdf } from "./jira/adf.js";
export { wikiToMarkdown } from "./jira/wiki.js";
export { SentryClient, type SentryConnection } from "./sentry/client.js";
export { SentryWorkItemSource, parseSentryKey } from "./sentry/source.js";
export { sentryDiagnostics, type WorkspaceDiagnostic } from "./sentry/diagnostics.js";
export { buildNotice, type Notice, type NoticeKind, type SlackMessage } from "./slack/messages.js";
export {
  ChatNotifier,
  WebhookNotifier,
  SLACK_MARKER_EVENT,
  type SlackNotifier,
  type SlackDelivery,
  type PostedNotice,
} from "./slack/notifier.js";
export { writeMarker, hasMarker, withMarker } from "./markers.js";
export { createCrashReporter, type CrashReporter, type CrashReporterOptions } from "./crashReporter.js";
