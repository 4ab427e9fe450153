/**
 * Builds the Octokit Bora uses: the throttling and retry plugins configured from the shared HTTP
 * policy, the REST API version pinned (Octokit 22 sends none, and GitHub's default will move), the
 * base URL configurable for GitHub Enterprise and the fake, and a fetch that times out and audits.
 */
import { retry } from "@octokit/plugin-retry";
import { throttling } from "@octokit/plugin-throttling";
import { Octokit } from "@octokit/rest";
import type { HttpPolicy } from "../../http/policy.js";

/** The REST API version every request asks for. */
export const GITHUB_API_VERSION = "2022-11-28";

const PluggedOctokit = Octokit.plugin(throttling, retry);
/** The plugins add nothing Bora calls, so callers see a plain Octokit. */
export type BoraOctokit = Octokit;

export interface GitHubConnection {
  /** A personal access token or app installation token. */
  token: string;
  /** The REST API root: `https://api.github.com`, or `https://HOST/api/v3` on GitHub Enterprise Server. Defaults to `https://api.github.com`. */
  baseUrl?: string;
  /** Product token for the User-Agent header. Defaults to `bora`. */
  userAgent?: string;
}

/**
 * A stand-in for a Bottleneck group that only spaces jobs `minTimeMs` apart, one at a time. The
 * throttling plugin's own groups space GitHub writes 1 s and notification-triggering writes 3 s
 * apart, as GitHub asks; these do the same, but on the policy's clock, so tests do not crawl.
 */
function spacingGroup(minTimeMs: number): unknown {
  const lanes = new Map<string, Promise<void>>();
  return {
    key(id: string) {
      return {
        schedule(...args: unknown[]): Promise<unknown> {
          const fnIndex = typeof args[0] === "function" ? 0 : 1;
          const fn = args[fnIndex] as (...a: unknown[]) => Promise<unknown>;
          const fnArgs = args.slice(fnIndex + 1);
          const previous = lanes.get(id) ?? Promise.resolve();
          const run = previous.then(() => fn(...fnArgs));
          lanes.set(
            id,
            run.then(
              () => new Promise<void>((resolve) => setTimeout(resolve, minTimeMs)),
              () => new Promise<void>((resolve) => setTimeout(resolve, minTimeMs)),
            ),
          );
          return run;
        },
      };
    },
  };
}

let instances = 0;

export function createOctokit(connection: GitHubConnection, policy: HttpPolicy): BoraOctokit {
  const scale = policy.timeScale;
  const octokit = new PluggedOctokit({
    auth: connection.token,
    baseUrl: (connection.baseUrl ?? "https://api.github.com").replace(/\/+$/, ""),
    userAgent: connection.userAgent ?? "bora",
    request: { fetch: policy.fetchFor("github", { retry: false }) },
    // Octokit logs every failed request at warn/error; our errors carry that, so keep it quiet.
    log: { debug: () => {}, info: () => {}, warn: () => {}, error: () => {} },
    throttle: {
      // Bottleneck groups are shared per id across instances; one id per client keeps clients apart.
      id: `bora-${++instances}`,
      retryAfterBaseValue: 1000 * scale,
      fallbackSecondaryRateRetryAfter: 60,
      write: spacingGroup(1000 * scale),
      notifications: spacingGroup(3000 * scale),
      search: spacingGroup(2000 * scale),
      onRateLimit: (retryAfter: number, _options: unknown, _octokit: unknown, retryCount: number) =>
        policy.allowRateLimitWait("github", retryAfter * 1000, retryCount, "primary"),
      onSecondaryRateLimit: (retryAfter: number, _options: unknown, _octokit: unknown, retryCount: number) =>
        policy.allowRateLimitWait("github", retryAfter * 1000, retryCount ?? 0, "secondary"),
    } as ConstructorParameters<typeof PluggedOctokit>[0] extends infer O
      ? O extends { throttle?: infer T }
        ? T
        : never
      : never,
    retry: {
      retries: policy.maxRetries,
      // The plugin waits (retry number)² × this value; rate limits (403, 429) belong to the throttler.
      retryAfterBaseValue: policy.baseDelayMs * scale,
      doNotRetry: [400, 401, 403, 404, 410, 422, 429, 451],
    },
  });
  octokit.hook.before("request", (options) => {
    options.headers["x-github-api-version"] = GITHUB_API_VERSION;
    // As in the shared policy: a write that failed with a 5xx may have happened, so it is not
    // repeated (the retry plugin reads this per request). Rate limits still retry: the throttler.
    if (options.method === "POST" || options.method === "PATCH") options.request = { ...options.request, retries: 0 };
  });
  return octokit;
}
