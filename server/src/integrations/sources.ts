/** Builds the work-item sources that the configuration enables. */
import type { IntegrationConfig } from "./config.js";
import { GitHubClient } from "./github/client.js";
import type { RepoRef } from "./github/keys.js";
import { GitHubWorkItemSource } from "./github/source.js";
import type { HttpPolicy } from "../http/policy.js";
import { JiraClient } from "./jira/client.js";
import { JiraWorkItemSource } from "./jira/source.js";
import { SentryClient } from "./sentry/client.js";
import { SentryWorkItemSource } from "./sentry/source.js";
import { diskFileExists, type FileExists } from "./stackFrames.js";
import type { WorkItemSource, WorkItemSourceName } from "./workItem.js";

export interface SourceOptions {
  /** The workspace stack frames are mapped onto. */
  workspaceRoot: string;
  /** The GitHub repository for lists and bare `#N` keys. Defaults to none. */
  repo?: RepoRef;
  /** Defaults to checking the disk under `workspaceRoot`. */
  exists?: FileExists;
}

export type WorkItemSources = Partial<Record<WorkItemSourceName, WorkItemSource>>;

export function createWorkItemSources(
  config: IntegrationConfig,
  policy: HttpPolicy,
  options: SourceOptions,
): WorkItemSources {
  const sources: WorkItemSources = {};
  if (config.github) sources.github = new GitHubWorkItemSource(new GitHubClient(config.github, policy), options.repo);
  if (config.jira) sources.jira = new JiraWorkItemSource(new JiraClient(config.jira, policy));
  if (config.sentry)
    sources.sentry = new SentryWorkItemSource(new SentryClient(config.sentry, policy), {
      project: config.sentry.project ?? "",
      workspaceRoot: options.workspaceRoot,
      exists: options.exists ?? diskFileExists(options.workspaceRoot),
    });
  return sources;
}
