import assert from "node:assert/strict";
import { readFileSync, readdirSync } from "node:fs";
import path from "node:path";
import { BORA_COMMANDS, COMMAND_CATEGORY, commandLabel } from "../../../client/src/commandIds.js";
import { REPO_ROOT } from "../../support/paths.js";

interface ContributedCommand {
  command: string;
  title: string;
  category?: string;
}

const manifest = JSON.parse(readFileSync(path.join(REPO_ROOT, "package.json"), "utf8")) as {
  contributes: { commands: ContributedCommand[] };
};
const table = Object.values(BORA_COMMANDS);

describe("the command table", () => {
  it("is what package.json contributes to the palette: the same ids, titles and category", () => {
    const contributed = manifest.contributes.commands
      .map(({ command, title, category }) => ({ command, title, category }))
      .sort((a, b) => a.command.localeCompare(b.command));
    const inPalette = table
      .filter((entry) => entry.title !== undefined)
      .map(({ id, title }) => ({ command: id, title, category: COMMAND_CATEGORY }))
      .sort((a, b) => a.command.localeCompare(b.command));
    assert.deepEqual(contributed, inPalette);
  });
  it("names every command bora.camelCase, once", () => {
    const ids = table.map((entry) => entry.id);
    for (const id of ids) assert.match(id, /^bora\.[a-z][A-Za-z]*$/);
    assert.equal(new Set(ids).size, ids.length);
  });
  it("is the only place in the extension's code that spells a command id", () => {
    const dir = path.join(REPO_ROOT, "client/src");
    const offenders: string[] = [];
    for (const name of readdirSync(dir, { recursive: true, encoding: "utf8" })) {
      if (!name.endsWith(".ts") || name === "commandIds.ts") continue;
      const text = readFileSync(path.join(dir, name), "utf8");
      for (const { id } of table) {
        if (text.includes(`"${id}"`) || text.includes(`'${id}'`)) offenders.push(`${name}: ${id}`);
      }
    }
    assert.deepEqual(offenders, [], "take the id from BORA_COMMANDS in client/src/commandIds.ts");
  });
  it("gives each command a label for sentences", () => {
    assert.equal(commandLabel("pullModel"), "Pull Model");
    assert.equal(commandLabel("useModel"), "bora.useModel");
  });
});
