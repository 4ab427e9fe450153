/** Names of GitHub things on the command line and in work-item keys. */

export interface RepoRef {
  owner: string;
  repo: string;
}

export interface IssueRef extends RepoRef {
  number: number;
}

const NAME = /^[A-Za-z0-9_.-]+$/;

/** Parses `OWNER/NAME`. */
export function parseRepo(text: string): RepoRef {
  const [owner, repo, ...rest] = text.trim().split("/");
  if (!owner || !repo || rest.length > 0 || !NAME.test(owner) || !NAME.test(repo.replace(/\.git$/, "")))
    throw new Error(`'${text}' is not a GitHub repository; write it as OWNER/NAME`);
  return { owner, repo: repo.replace(/\.git$/, "") };
}

/**
 * Parses an issue or pull request reference: `OWNER/NAME#12`, an issue or PR URL of github.com or
 * an Enterprise host (`https://HOST/OWNER/NAME/issues/12`), or `#12` / `12` with a default repo.
 */
export function parseIssueRef(text: string, defaultRepo?: RepoRef): IssueRef {
  const t = text.trim();
  const url =
    /^https?:\/\/[^/]+\/(?:api\/v3\/repos\/)?([^/]+)\/([^/]+)\/(?:issues|pull|pulls)\/(\d+)(?:[/?#].*)?$/.exec(t);
  if (url) return { ...parseRepo(`${url[1]}/${url[2]}`), number: Number(url[3]) };
  const short = /^([^/\s#]+)\/([^/\s#]+)#(\d+)$/.exec(t);
  if (short) return { ...parseRepo(`${short[1]}/${short[2]}`), number: Number(short[3]) };
  const bare = /^#?(\d+)$/.exec(t);
  if (bare && defaultRepo) return { ...defaultRepo, number: Number(bare[1]) };
  throw new Error(
    `'${text}' is not a GitHub issue; write OWNER/NAME#N or its URL${defaultRepo ? "" : " (or pass --repo with #N)"}`,
  );
}

export function formatIssueKey(ref: IssueRef): string {
  return `${ref.owner}/${ref.repo}#${ref.number}`;
}
