/**
 * Names a durable task gets from what it works on. The task id derives from the work item and the
 * repository, so that `bora issue` run twice on the same REF and repo attaches to the task it started
 * before instead of starting a second one; the branch name carries the item's key so a reviewer
 * knows what it is for.
 */
import { createHash } from "node:crypto";

/** Characters kept of a title in a branch name: long enough to read, short enough for a ref. */
const SLUG_CHARS = 40;

/** Lower-case words of `text` joined by dashes, at most `max` characters, cut at a word. */
export function slugify(text: string, max = SLUG_CHARS): string {
  const words = text
    .normalize("NFKD")
    .replace(/[\u0300-\u036f]/g, "")
    .toLowerCase()
    .split(/[^a-z0-9]+/)
    .filter((w) => w !== "");
  let slug = "";
  for (const word of words) {
    const next = slug === "" ? word : `${slug}-${word}`;
    if (next.length > max) break;
    slug = next;
  }
  return slug === "" ? (words[0] ?? "").slice(0, max) : slug;
}

/** `acme/shop#12` → `acme-shop-12`; `SHOP-7` → `shop-7`: a key as one ref-safe word. */
export function keySlug(key: string): string {
  return slugify(key, 60) || "item";
}

/**
 * The task id of an issue-to-PR task: `issue-<key>-<hash of source, key and repository>`. The hash
 * keeps two repositories (or two trackers with the same key) apart.
 */
export function issueTaskId(source: string, key: string, repoRealPath: string): string {
  const digest = createHash("sha256").update(`${source}\0${key}\0${repoRealPath}`).digest("hex").slice(0, 10);
  return `issue-${keySlug(key)}-${digest}`;
}

/** The work branch: `bora/<key>-<slug of the title>`. */
export function workBranch(key: string, title: string): string {
  const slug = slugify(title);
  return `bora/${keySlug(key)}${slug ? `-${slug}` : ""}`;
}
