/** What a durable task runs as its checks when the user names none. */
import { readFile } from "node:fs/promises";
import path from "node:path";

/** `npm test` when the repository's package.json has a test script; else none (the PR then says no checks ran). */
export async function defaultCheckCommand(repo: string): Promise<string | undefined> {
  try {
    const pkg = JSON.parse(await readFile(path.join(repo, "package.json"), "utf8")) as {
      scripts?: Record<string, string>;
    };
    return typeof pkg.scripts?.["test"] === "string" ? "npm test" : undefined;
  } catch {
    return undefined;
  }
}
