/**
 * The outside world of the issue-to-PR workflow, built from the integration settings: the trackers,
 * the push, GitHub's pull requests, Slack. Every write here is idempotent at the service it calls
 * (a hidden marker or the head branch is looked up before anything is created), which is what makes
 * the workflow's at-least-once steps safe.
 */
import type { Engine } from "@bora/inference";
import type { ApprovalPolicy } from "../agent/approvals.js";
import { secretsOf, type IntegrationConfig } from "../integrations/config.js";
import { GitHubClient } from "../integrations/github/client.js";
import { parseIssueRef } from "../integrations/github/keys.js";
import { JiraClient } from "../integrations/jira/client.js";
import { SentryClient } from "../integrations/sentry/client.js";
import { ChatNotifier, WebhookNotifier, type SlackNotifier } from "../integrations/slack/notifier.js";
import { createWorkItemSources } from "../integrations/sources.js";
import type { WorkItemSourceName } from "../integrations/workItem.js";
import type { HttpPolicy } from "../http/policy.js";
import { pushBranch } from "../workspace/gitPush.js";
import type { Spawner } from "../workspace/spawner.js";
import { worktreeDir, type DurableTaskInput, type IssueToPrServices, type PullRequestRef } from "./issueToPr.js";
import { localRepository, rebuildWorktree, type LocalRepositoryOptions } from "./teamRepo.js";
import { commitAll, originUrl, repoOfRemote, type TaskWorktree } from "./worktrees.js";

export interface WorkflowServiceOptions {
  config: IntegrationConfig;
  policy: HttpPolicy;
  engine: Engine;
  spawner: Spawner;
  stateDir: string;
  env: NodeJS.ProcessEnv;
  approvalPolicy?: ApprovalPolicy;
  onStatus?: IssueToPrServices["onStatus"];
}

function needs<T>(value: T | undefined, what: string): T {
  if (value === undefined) throw new Error(what);
  return value;
}

/**
 * The transition, unless the issue already stands where it leads: a step run again after a crash
 * finds the transition gone (the issue moved) and must not fail on it. Named by its target status,
 * that is always recognised; named by the transition alone, only while Jira still offers it.
 */
async function transitionOnce(client: JiraClient, key: string, name: string): Promise<void> {
  const wanted = name.trim().toLowerCase();
  const transitions = await client.listTransitions(key);
  if (!transitions.some((t) => t.name.toLowerCase() === wanted || t.to.name.toLowerCase() === wanted)) {
    const issue = await client.getIssue(key);
    if (issue.fields.status?.name?.toLowerCase() === wanted) return;
  }
  await client.transitionByName(key, name);
}

export function createIssueToPrServices(options: WorkflowServiceOptions): IssueToPrServices {
  const { config, policy } = options;
  const token = config.github && { token: config.github.token };
  /** Where the task's repository is on this machine: its path, or (a team task) this host's clone of its origin. */
  const repositoryOf = (input: DurableTaskInput): LocalRepositoryOptions => ({
    repo: input.repo,
    ...(input.origin !== undefined && { origin: input.origin }),
    base: input.base,
    stateDir: options.stateDir,
    ...token,
    spawner: options.spawner,
  });
  const push = async (worktree: TaskWorktree): Promise<void> => {
    await pushBranch({
      dir: worktree.dir,
      remote: "origin",
      branch: worktree.branch,
      ...token,
      spawner: options.spawner,
    });
  };
  const github = config.github ? new GitHubClient(config.github, policy) : undefined;
  const jira = config.jira ? new JiraClient(config.jira, policy) : undefined;
  const sentry = config.sentry ? new SentryClient(config.sentry, policy) : undefined;
  const slack: SlackNotifier | undefined =
    config.slack === undefined
      ? undefined
      : config.slack.kind === "webhook"
        ? new WebhookNotifier(config.slack.url, policy)
        : new ChatNotifier(config.slack.token, config.slack.channel, policy, {
            ...(config.slack.apiUrl !== undefined && { slackApiUrl: config.slack.apiUrl }),
          });
  const noGitHub = "the pull request needs GitHub: set GITHUB_TOKEN (and BORA_GITHUB_URL for GitHub Enterprise)";

  return {
    engine: options.engine,
    spawner: options.spawner,
    stateDir: options.stateDir,
    env: options.env,
    // The credentials may come from the editor rather than the environment: redacted all the same.
    secrets: secretsOf(config),
    ...(options.approvalPolicy && { policy: options.approvalPolicy }),
    ...(options.onStatus && { onStatus: options.onStatus }),

    async getWorkItem(source: WorkItemSourceName, ref: string) {
      const sources = createWorkItemSources(config, policy, { workspaceRoot: options.stateDir });
      const found = sources[source];
      if (found === undefined)
        throw new Error(`${source} is not configured: see bora help issue for its environment variables`);
      return found.get(ref);
    },

    localRepository: (input) => localRepository(repositoryOf(input)),

    push,

    async saveWork(worktree, message) {
      await commitAll(worktree.dir, message, worktree.baseCommit, options.spawner);
      await push(worktree).catch(() => undefined);
    },

    reattachWorktree: (input, recorded) =>
      rebuildWorktree({ ...repositoryOf(input), recorded, dir: worktreeDir(options.stateDir, input.taskId) }),

    async openOrUpdatePullRequest(pr): Promise<PullRequestRef> {
      const client = needs(github, noGitHub);
      const repo = repoOfRemote(await originUrl(pr.repo, options.spawner));
      const fixes = pr.item?.source === "github" ? parseIssueRef(pr.item.key) : undefined;
      const written = await client.openOrUpdatePullRequest(repo, {
        head: pr.head,
        base: pr.base,
        title: pr.title,
        body: pr.body,
        draft: pr.draft,
        ...(fixes && { fixes }),
        marker: { taskId: pr.taskId, step: "pullRequest" },
      });
      return { url: written.pr.html_url, number: written.pr.number, draft: written.pr.draft === true };
    },

    async writeBack(item, taskId, comment, pr, { jiraTransition }) {
      switch (item.source) {
        case "github":
          await needs(github, noGitHub).commentOnce(parseIssueRef(item.key), taskId, "writeBack", comment);
          return;
        case "jira": {
          const client = needs(jira, "Jira is not configured: set BORA_JIRA_URL and its token");
          await client.commentOnce(item.key, taskId, "writeBack", comment);
          await client.addRemoteLink(item.key, pr.url, `Pull request #${pr.number}`);
          // By name only, when asked: never a default "Done".
          if (jiraTransition !== undefined) await transitionOnce(client, item.key, jiraTransition);
          return;
        }
        case "sentry":
          await needs(sentry, "Sentry is not configured: set SENTRY_AUTH_TOKEN and SENTRY_ORG").noteOnce(
            item.key,
            taskId,
            "writeBack",
            comment,
          );
          return;
      }
    },

    async notify(taskId, subject, pr, checks) {
      if (slack === undefined) return false;
      await slack.postOnce(
        {
          kind: "prOpened",
          title: subject.title,
          ...(subject.url !== undefined && { item: { key: subject.key, url: subject.url } }),
          pullRequest: { url: pr.url, number: pr.number },
          summary: `${pr.draft ? "Draft pull request" : "Pull request"}: ${checks}.`,
        },
        { taskId, step: "slack" },
      );
      return true;
    },
  };
}
