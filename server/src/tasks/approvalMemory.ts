/**
 * The approvals a user gave "Always for this workspace": per workspace root, the exact tool and
 * one-line summary (for `run_command`, the command line) they approved. Stored in the host's state
 * folder, never in the workspace: the agent can write the workspace (`.vscode/settings.json`,
 * `.bora/`), and an approval it could write would be an approval it grants itself.
 *
 * Matching is exact, not a pattern: "always `npm test`" must not approve `npm test; curl …`.
 */
import { readFile } from "node:fs/promises";
import path from "node:path";
import { writeFileAtomic } from "../workspace/textFiles.js";

interface Remembered {
  tool: string;
  summary: string;
}

/** Most remembered approvals per workspace: a user clicks "always" a handful of times, not thousands. */
export const MAX_REMEMBERED_PER_ROOT = 500;

export class ApprovalMemory {
  private loaded: Promise<Record<string, Remembered[]>> | undefined;
  private writing: Promise<void> = Promise.resolve();

  /** `file`: the JSON file in the state folder. */
  constructor(private readonly file: string) {}

  static inStateDir(stateDir: string): ApprovalMemory {
    return new ApprovalMemory(path.join(stateDir, "approvals.json"));
  }

  async has(root: string, tool: string, summary: string): Promise<boolean> {
    const all = await this.load();
    return (all[root] ?? []).some((r) => r.tool === tool && r.summary === summary);
  }

  async remember(root: string, tool: string, summary: string): Promise<void> {
    const all = await this.load();
    const list = (all[root] ??= []);
    if (list.some((r) => r.tool === tool && r.summary === summary)) return;
    list.push({ tool, summary });
    if (list.length > MAX_REMEMBERED_PER_ROOT) list.splice(0, list.length - MAX_REMEMBERED_PER_ROOT);
    const text = `${JSON.stringify(all, null, 2)}\n`;
    // One write at a time, each with everything remembered so far.
    this.writing = this.writing.then(() => writeFileAtomic(this.file, text, { createParents: true }));
    await this.writing;
  }

  private load(): Promise<Record<string, Remembered[]>> {
    this.loaded ??= readFile(this.file, "utf8").then(
      (text) => {
        const parsed = JSON.parse(text) as unknown;
        if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) return {};
        const out: Record<string, Remembered[]> = {};
        for (const [root, list] of Object.entries(parsed as Record<string, unknown>)) {
          if (!Array.isArray(list)) continue;
          out[root] = list.filter(
            (r): r is Remembered =>
              typeof (r as Remembered)?.tool === "string" && typeof (r as Remembered)?.summary === "string",
          );
        }
        return out;
      },
      // No file yet, or one that does not parse: nothing remembered (asking again is the safe side).
      () => ({}),
    );
    return this.loaded;
  }
}
