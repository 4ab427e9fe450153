/**
 * What a REF names: which tracker, and the item's key as every spelling of it gives it. The durable
 * task id derives from the canonical key, so the editor (`bora/startIssueToPr`) and the CLI
 * (`bora issue`) name one task for one item and attach to each other's: both use these.
 */
import type { IntegrationConfig } from "./config.js";
import { formatIssueKey, parseIssueRef } from "./github/keys.js";
import type { WorkItemSourceName } from "./workItem.js";

/** A REF no tracker takes, or one that says nothing of its tracker. */
export class WorkItemRefError extends Error {
  override readonly name = "WorkItemRefError";
}

/** Which tracker `ref` belongs to: a URL's shape, `OWNER/NAME#N`, or a key of a configured tracker. */
export function detectWorkItemSource(ref: string, config: IntegrationConfig): WorkItemSourceName {
  const t = ref.trim();
  const configured = (s: WorkItemSourceName): boolean => config[s] !== undefined;
  const unknown = (): WorkItemRefError =>
    new WorkItemRefError(`cannot tell which tracker '${ref}' belongs to; say its source`);
  if (/^https?:\/\//.test(t)) {
    const { pathname, search } = new URL(t);
    if (/\/browse\/[A-Z][A-Z0-9_]*-\d+/.test(pathname) || /[?&]selectedIssue=/.test(search)) return "jira";
    if (/^\/(?:organizations\/[^/]+\/)?issues\/\d+(\/|$)/.test(pathname)) return "sentry";
    if (/^\/[^/]+\/[^/]+\/(issues|pull)\/\d+(\/|$)/.test(pathname)) return "github";
    throw unknown();
  }
  if (/^[^/\s#]+\/[^/\s#]+#\d+$/.test(t) || /^#\d+$/.test(t)) return "github";
  if (/^[A-Za-z][A-Za-z0-9_]*-\d+$/.test(t) && configured("jira")) return "jira";
  if (/^[A-Za-z0-9][A-Za-z0-9_-]*-[A-Za-z0-9]+$/.test(t) && configured("sentry")) return "sentry";
  if (/^\d+$/.test(t) && configured("sentry")) return "sentry";
  if (/^[A-Z][A-Z0-9_]*-\d+$/.test(t)) return "jira";
  throw unknown();
}

/** The item's key as every spelling of it gives it, so that a URL and OWNER/NAME#N name one task. */
export function canonicalWorkItemKey(source: WorkItemSourceName, ref: string): string {
  const t = ref.trim();
  switch (source) {
    case "github":
      return formatIssueKey(parseIssueRef(t)).toLowerCase();
    case "jira": {
      const key = /\/browse\/([A-Za-z][A-Za-z0-9_]*-\d+)/.exec(t)?.[1] ?? /[?&]selectedIssue=([^&]+)/.exec(t)?.[1] ?? t;
      return key.toUpperCase();
    }
    case "sentry":
      return /\/issues\/(\d+)/.exec(t)?.[1] ?? t;
  }
}
