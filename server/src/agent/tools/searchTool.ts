/** `search {pattern, path?, glob?}`: regular-expression search over the workspace, `.gitignore` respected. */
import { searchText, SearchPatternError, type SearchBackend } from "../../workspace/search.js";
import { policyPath, resolveToolPath } from "./paths.js";
import { ToolError, type Tool } from "./types.js";

/** `backend` forces one search implementation (tests cover all three); the default picks the best available. */
export function createSearchTool(backend?: SearchBackend): Tool {
  return {
    mutates: false,
    definition: {
      name: "search",
      description:
        "Search file contents with a regular expression (ripgrep syntax; keep to the common subset: literals, ., [], *, +, ?, |, (), ^, $). " +
        "Ignored files (.gitignore) and binary files are skipped. Returns path:line: text lines.",
      parameters: {
        type: "object",
        properties: {
          pattern: { type: "string", minLength: 1, description: "Regular expression to find." },
          path: {
            type: "string",
            description: "Directory or file to search, relative to the root. Defaults to the root.",
          },
          glob: { type: "string", description: "Only files matching this glob, e.g. '*.ts' or 'src/**/*.test.ts'." },
        },
        required: ["pattern"],
        additionalProperties: false,
      },
    },
    subject: (args) => ({
      summary: `/${String(args["pattern"])}/${args["path"] ? ` in ${policyPath(args["path"])}` : ""}`,
      paths: [policyPath(args["path"] ?? ".")],
    }),
    async run(args, context) {
      const under =
        args["path"] === undefined ? undefined : await resolveToolPath(context.root, args["path"] as string);
      try {
        const result = await searchText(
          {
            root: context.root,
            pattern: args["pattern"] as string,
            under: under?.absolute,
            glob: args["glob"] as string | undefined,
            maxMatches: context.limits.maxSearchMatches,
            signal: context.signal,
            spawner: context.spawner,
          },
          backend,
        );
        if (result.matches.length === 0) return "no matches";
        const lines = result.matches.map((m) => `${m.path}:${m.line}: ${m.text}`);
        const more = result.truncated
          ? `\n[more than ${context.limits.maxSearchMatches} matches; narrow the pattern, path or glob]`
          : "";
        return `${result.matches.length} match${result.matches.length === 1 ? "" : "es"}\n${lines.join("\n")}${more}`;
      } catch (error) {
        if (error instanceof SearchPatternError)
          throw new ToolError("bad_pattern", `the pattern is not valid: ${error.message}`);
        throw error;
      }
    },
  };
}
