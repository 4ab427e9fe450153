/**
 * Approval policies: for each tool `always`, `ask` or `never`, refined by command patterns (for
 * `run_command`) and path patterns (for the file tools), e.g. allow `npm test`, ask for anything
 * else. The policy comes from the user (settings or CLI flags) when the run starts and is frozen:
 * nothing the model reads (files, tracker text, tool output) can change it, because the runtime
 * never builds a policy from anything but its own options.
 */
import { globToRegExp } from "../workspace/globs.js";

export type Decision = "always" | "ask" | "never";

export interface PolicyRule {
  /** Glob over the whole command line; `*` does not match shell operators (`;`, `&`, `|`, `$`, backticks, parentheses, redirections). */
  command?: string;
  /** Glob over the path relative to the root, e.g. `src/**` or `*.lock`. */
  path?: string;
  decision: Decision;
}

export interface ToolPolicy {
  /** What applies when no rule matches. */
  default: Decision;
  /** First match wins. */
  rules?: readonly PolicyRule[];
}

export type ApprovalPolicy = Readonly<Record<string, Decision | ToolPolicy>>;

/**
 * Reading and asking are harmless; writes stay inside the root and are checkpointed; commands can do
 * anything the sandbox lets them, so they ask.
 */
export const DEFAULT_POLICY: ApprovalPolicy = Object.freeze({
  read_file: "always",
  list_dir: "always",
  search: "always",
  ask_user: "always",
  write_file: "always",
  edit_file: "always",
  run_command: "ask",
});

/** What a tool call touches, for matching. */
export interface PolicySubject {
  tool: string;
  command?: string;
  paths?: readonly string[];
}

export interface Verdict {
  decision: Decision;
  /** The rule that decided, for the user and the transcript. */
  reason: string;
}

const SHELL_OPERATORS = /[;&|`$()<>\n\r]/;

function commandMatches(command: string, pattern: string): boolean {
  const trimmed = command.trim();
  // A wildcard must not let `npm test *` also approve `npm test; curl …`.
  const regex = new RegExp(
    `^${pattern
      .trim()
      .split("*")
      .map((part) => part.replace(/[.+?^${}()|[\]\\]/g, "\\$&"))
      .join("[^;&|`$()<>\\n\\r]*")}$`,
  );
  if (!regex.test(trimmed)) return false;
  return !SHELL_OPERATORS.test(trimmed) || SHELL_OPERATORS.test(pattern);
}

/** Deep-freezes a policy so that no code path can widen it later in the run. */
export function freezePolicy(policy: ApprovalPolicy): ApprovalPolicy {
  for (const value of Object.values(policy)) {
    if (typeof value === "object") {
      for (const rule of value.rules ?? []) Object.freeze(rule);
      if (value.rules) Object.freeze(value.rules);
      Object.freeze(value);
    }
  }
  return Object.freeze({ ...policy });
}

export function decide(policy: ApprovalPolicy, subject: PolicySubject): Verdict {
  const entry = policy[subject.tool] ?? DEFAULT_POLICY[subject.tool] ?? "ask";
  if (typeof entry === "string") return { decision: entry, reason: `policy for ${subject.tool}: ${entry}` };
  for (const rule of entry.rules ?? []) {
    if (rule.command !== undefined && (subject.command === undefined || !commandMatches(subject.command, rule.command)))
      continue;
    if (rule.path !== undefined) {
      const regex = globToRegExp(rule.path.replace(/^\//, ""));
      if (!subject.paths || subject.paths.length === 0 || !subject.paths.every((p) => regex.test(p))) continue;
    }
    const what =
      rule.command !== undefined
        ? `command '${rule.command}'`
        : rule.path !== undefined
          ? `path '${rule.path}'`
          : "any";
    return { decision: rule.decision, reason: `rule ${what} for ${subject.tool}: ${rule.decision}` };
  }
  return { decision: entry.default, reason: `default for ${subject.tool}: ${entry.default}` };
}

/** Checks a policy from settings or flags; bad entries are reported, never silently widened. */
export function parsePolicy(raw: unknown): ApprovalPolicy {
  if (typeof raw !== "object" || raw === null || Array.isArray(raw))
    throw new Error("an approval policy must be an object of tool names");
  const decisions = new Set(["always", "ask", "never"]);
  const out: Record<string, Decision | ToolPolicy> = {};
  for (const [tool, value] of Object.entries(raw as Record<string, unknown>)) {
    if (typeof value === "string") {
      if (!decisions.has(value)) throw new Error(`policy for ${tool}: '${value}' is not always, ask or never`);
      out[tool] = value as Decision;
      continue;
    }
    const entry = value as { default?: unknown; rules?: unknown };
    if (typeof entry !== "object" || entry === null || !decisions.has(entry.default as string)) {
      throw new Error(`policy for ${tool}: expected always, ask, never or {default, rules}`);
    }
    const rules = (Array.isArray(entry.rules) ? entry.rules : []).map((rule: unknown, i: number) => {
      const r = rule as PolicyRule;
      if (!decisions.has(r?.decision) || (r.command === undefined && r.path === undefined)) {
        throw new Error(`policy for ${tool}, rule ${i + 1}: needs a command or path pattern and a decision`);
      }
      return {
        ...(r.command !== undefined && { command: String(r.command) }),
        ...(r.path !== undefined && { path: String(r.path) }),
        decision: r.decision,
      };
    });
    out[tool] = { default: entry.default as Decision, rules };
  }
  return freezePolicy({ ...DEFAULT_POLICY, ...out });
}
