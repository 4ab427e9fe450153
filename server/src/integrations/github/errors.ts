/** Turns Octokit's RequestError into an IntegrationError that says what to do. */
import { IntegrationError, describeWait, kindOfStatus } from "../../http/errors.js";
import { findIntegrationError } from "../../http/unwrap.js";

interface OctokitErrorLike {
  status?: number;
  message?: string;
  response?: { headers?: Record<string, string | number | undefined>; data?: unknown };
}

function header(e: OctokitErrorLike, name: string): string | undefined {
  const value = e.response?.headers?.[name];
  return value === undefined ? undefined : String(value);
}

/** GitHub's own message from an error body (`basic-error`, `validation-error`). */
function githubMessage(e: OctokitErrorLike): string {
  const data = e.response?.data as { message?: unknown; errors?: unknown } | undefined;
  const base = typeof data?.message === "string" ? data.message : (e.message ?? "").replace(/ - https:\S+$/, "");
  const details = Array.isArray(data?.errors)
    ? data.errors
        .map((x) =>
          typeof x === "string"
            ? x
            : ((x as { message?: string; code?: string }).message ?? (x as { code?: string }).code),
        )
        .filter((x): x is string => typeof x === "string")
    : [];
  return details.length > 0 ? `${base}: ${details.join("; ")}` : base;
}

/**
 * @param what the thing the call was about, for the message: `issue octo/app#3`, `repository octo/app`.
 * @param now the clock, for rate-limit reset times.
 */
export function mapGitHubError(error: unknown, what: string, now: number = Date.now()): IntegrationError {
  const inner = findIntegrationError(error);
  if (inner) return inner;
  const e = error as OctokitErrorLike;
  const status = typeof e.status === "number" ? e.status : undefined;
  if (status === undefined)
    return new IntegrationError(
      "github",
      "network",
      `GitHub request for ${what} failed: ${e.message ?? String(error)}`,
      {
        cause: error,
      },
    );
  const message = githubMessage(e);
  const s = status ?? 500;
  const remaining = header(e, "x-ratelimit-remaining");
  const secondary = /secondary rate limit/i.test(message);
  if ((s === 403 || s === 429) && (remaining === "0" || secondary || header(e, "retry-after") !== undefined)) {
    const retryAfter = Number(header(e, "retry-after"));
    const reset = Number(header(e, "x-ratelimit-reset"));
    const retryAt = Number.isFinite(retryAfter)
      ? now + retryAfter * 1000
      : Number.isFinite(reset) && reset > 0
        ? reset * 1000
        : now + 60_000;
    const which = secondary ? "secondary rate limit" : "rate limit";
    return new IntegrationError(
      "github",
      "rateLimited",
      `GitHub ${which} reached while fetching ${what}; it resets in ${describeWait(retryAt - now)} ` +
        `(${new Date(retryAt).toISOString()}). Retry then, or use a token with a higher limit.`,
      { status: s, retryAt, cause: error },
    );
  }
  const kind = kindOfStatus(s);
  const text = (() => {
    switch (kind) {
      case "auth":
        return `GitHub rejected the token (401 ${message}). Set GITHUB_TOKEN (or the Bora GitHub token) to a valid, unexpired token.`;
      case "forbidden": {
        const scopes = header(e, "x-oauth-scopes");
        const needed = header(e, "x-accepted-github-permissions") ?? header(e, "x-accepted-oauth-scopes");
        if (scopes !== undefined && !scopes.split(/,\s*/).includes("repo"))
          return `GitHub token lacks repo scope for ${what} (403 ${message}). Create a token with the repo scope.`;
        return `GitHub token may not access ${what} (403 ${message})${needed ? `; it needs ${needed}` : ""}. Grant the token access to the repository.`;
      }
      case "notFound":
        return `GitHub ${what} not found (404). Check the name, and that the token can see the repository.`;
      case "gone":
        return `GitHub ${what} is gone (410 ${message}): it was deleted, or issues are disabled for the repository.`;
      case "invalid":
        return `GitHub refused the request for ${what} (${s} ${message}).`;
      default:
        return `GitHub failed on ${what} (${s} ${message}) after retries. Try again later; see https://www.githubstatus.com.`;
    }
  })();
  return new IntegrationError("github", kind, text, { status: s, cause: error });
}
