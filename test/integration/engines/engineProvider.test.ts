/**
 * The engine provider on the real local engine and generated models: the edit role set to its own
 * model runs `edit()` on that model, and the chat role keeps its own.
 */
import assert from "node:assert/strict";
import os from "node:os";
import { LocalEngine, collect, type EditRequest } from "@bora/inference";
import { createEngineProvider } from "../../../server/src/engines/engineProvider.js";
import type { LocalOptions } from "../../../server/src/engines/engineSpec.js";
import { REAL_OPENERS, defaultEngineDeps } from "../../../server/src/engines/openEngine.js";
import { HttpPolicy } from "../../../server/src/http/policy.js";
import { createLogger } from "../../../server/src/host/logger.js";
import { ensureTestModel } from "../../support/testModels.js";

describe("engine provider on the local engine", function () {
  this.timeout(120_000);

  it("runs edit() on the edit role's own model, not on the chat model", async () => {
    const chatPath = await ensureTestModel("tiny");
    const editPath = await ensureTestModel("tiny", 7);
    const options: LocalOptions = { contextSize: 512, sequences: 1, gpu: false };
    const opened: string[] = [];
    const deps = {
      ...defaultEngineDeps({ env: {}, cwd: os.tmpdir(), log: createLogger("error"), http: new HttpPolicy() }),
      openers: {
        ...REAL_OPENERS,
        openLocal: (o: Parameters<typeof REAL_OPENERS.openLocal>[0]) => {
          opened.push(o.modelPath);
          return REAL_OPENERS.openLocal(o);
        },
      },
    };
    const provider = createEngineProvider(
      { chat: { kind: "local", model: chatPath, options }, edit: { kind: "local", model: editPath, options } },
      deps,
    );
    const direct = await LocalEngine.open({ modelPath: editPath, ...options });
    try {
      const request: EditRequest = {
        messages: [{ role: "user", content: "Rename x to y in: let x = 1;" }],
        prediction: "let x = 1;",
        maxTokens: 16,
        temperature: 0,
      };
      const edit = await provider.forRole("edit");
      assert.ok(edit !== undefined);
      assert.equal(edit.info.model, "Bora test model (tiny, seed 7)");
      const viaRole = await collect(edit.edit(request));
      // Greedy decoding on the same model gives the same tokens: the role's engine is that model.
      assert.equal(viaRole.text, (await collect(direct.edit(request))).text);
      const chat = await provider.forRole("chat");
      assert.equal(chat?.info.model, "Bora test model (tiny, seed 1)");
      assert.deepEqual(opened, [editPath, chatPath], "each model opened once, when its role was asked for");
    } finally {
      await provider.dispose();
      await direct.dispose();
    }
  });
});
