/** Shared pieces of the integration tests: a fast policy with an audit log, and fake secrets to grep for. */
import { MemoryAuditLog, formatAuditEntry } from "../../../server/src/http/audit.js";
import { HttpPolicy, type HttpPolicyOptions, type WaitNotice } from "../../../server/src/http/policy.js";

/** Recognisable fake secrets: if one of these shows up in anything written, a secret leaked. */
export const SECRETS = {
  github: "ghp_FAKEgithubTOKEN0000000000000000000000",
  jira: "FAKEjiraTOKEN-ATATT3xFfGF0-0000",
  jiraPat: "FAKEjiraPAT-NjA0MzQ1-0000",
  sentry: "sntryu_FAKEsentryTOKEN000000000000000000",
  slackBot: "xoxb-0000-FAKEslackBOT-token",
  slackWebhookSecret: "FAKEwebhookSECRET0000000000",
} as const;

export interface TestPolicy {
  policy: HttpPolicy;
  audit: MemoryAuditLog;
  waits: WaitNotice[];
  /** Every audit line as the host would log it. */
  auditLines(): string[];
}

/** A policy whose waits are scaled down 1000×, so "wait 2 s" takes 2 ms, with everything recorded. */
export function testPolicy(options: HttpPolicyOptions = {}): TestPolicy {
  const audit = new MemoryAuditLog();
  const waits: WaitNotice[] = [];
  const policy = new HttpPolicy({
    timeScale: 0.001,
    timeoutMs: 5_000,
    audit,
    onWait: (w) => waits.push(w),
    ...options,
  });
  return { policy, audit, waits, auditLines: () => audit.entries.map(formatAuditEntry) };
}

/** Asserts that no recognisable secret appears in `text`. */
export function assertNoSecrets(text: string, where: string): void {
  for (const [name, secret] of Object.entries(SECRETS)) {
    if (text.includes(secret)) throw new Error(`${where} contains the ${name} secret`);
  }
}
