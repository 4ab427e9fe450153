/**
 * Glob patterns, as users write them in `.gitignore`, in the `glob` argument of `search` and in
 * approval path patterns: `*` (not `/`), `**` (any depth), `?`, `[...]`. Compiled to RegExp once.
 */
export function globToRegExp(glob: string): RegExp {
  let re = "";
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i]!;
    if (c === "*") {
      if (glob[i + 1] === "*") {
        i++;
        if (glob[i + 1] === "/") {
          i++;
          re += "(?:.*/)?";
        } else {
          re += ".*";
        }
      } else {
        re += "[^/]*";
      }
    } else if (c === "?") {
      re += "[^/]";
    } else if (c === "[") {
      const end = glob.indexOf("]", i + 1);
      if (end === -1) re += "\\[";
      else {
        const body = glob
          .slice(i + 1, end)
          .replace(/^!/, "^")
          .replace(/\\/g, "\\\\");
        re += `[${body}]`;
        i = end;
      }
    } else {
      re += c.replace(/[.+^${}()|\\]/g, "\\$&");
    }
  }
  return new RegExp(`^${re}$`);
}

/** True when `relPath` (POSIX, relative to the root) matches `glob`; a glob without `/` matches the base name anywhere. */
export function matchesGlob(relPath: string, glob: string): boolean {
  if (!glob.includes("/")) return globToRegExp(glob).test(relPath.split("/").pop() ?? relPath);
  return globToRegExp(glob.replace(/^\//, "")).test(relPath);
}

interface IgnoreRule {
  regex: RegExp;
  negated: boolean;
  dirOnly: boolean;
}

/** The rules of one `.gitignore` file, relative to the directory holding it. */
export class GitIgnore {
  private readonly rules: IgnoreRule[] = [];

  constructor(text: string) {
    for (let line of text.split(/\r?\n/)) {
      if (line.trim() === "" || line.startsWith("#")) continue;
      line = line.replace(/(?<!\\)\s+$/, "");
      const negated = line.startsWith("!");
      if (negated) line = line.slice(1);
      const dirOnly = line.endsWith("/");
      if (dirOnly) line = line.slice(0, -1);
      // A pattern with a slash (other than at the end) is anchored to this directory.
      const anchored = line.includes("/");
      const body = line.replace(/^\//, "");
      this.rules.push({ regex: globToRegExp(anchored ? body : `**/${body}`), negated, dirOnly });
    }
  }

  /** `true` ignored, `false` re-included by a `!` rule, `undefined` no rule matched. */
  decide(relPath: string, isDir: boolean): boolean | undefined {
    let verdict: boolean | undefined;
    for (const rule of this.rules) {
      if (rule.dirOnly && !isDir) continue;
      if (rule.regex.test(relPath)) verdict = !rule.negated;
    }
    return verdict;
  }
}
