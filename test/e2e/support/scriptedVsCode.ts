/**
 * A real VS Code whose Bora runs a scripted model: `bora engine serve --engine script:FILE` as a
 * remote engine, so what the model says is exact and streams at the script's pace; everything below
 * the model is the real one. Waits until the status bar says the engine is ready.
 */
import { mkdtempSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { startEngineServe, type ServedEngine } from "../../support/engineServe.js";
import { HANG_MS, startVsCode, type StartOptions, type VsCode } from "./codeServer.js";

export interface ScriptedVsCode {
  vscode: VsCode;
  server: ServedEngine;
  close(): Promise<void>;
}

/** `script`: the scripted engine's JSON (`{ chunkDelayMs?, turns }`, see docs/agent-tools.md). */
export async function startScriptedVsCode(script: unknown, options: StartOptions = {}): Promise<ScriptedVsCode> {
  const file = path.join(mkdtempSync(path.join(os.tmpdir(), "bora-e2e-script-")), "script.json");
  writeFileSync(file, JSON.stringify(script));
  const server = await startEngineServe(["--engine", `script:${file}`, "--model-name", "scripted-model"]);
  let vscode: VsCode;
  try {
    vscode = await startVsCode({
      ...options,
      settings: {
        "bora.engine": "remote",
        "bora.remote.preset": "bora",
        "bora.remote.baseUrl": server.baseUrl,
        "bora.models.chat": "scripted-model",
        // Completions would take the script's turns; they have their own tests.
        "bora.completions.enabled": false,
        ...options.settings,
      },
    });
  } catch (error) {
    await server.stop();
    throw error;
  }
  await vscode.page
    .locator("#workbench\\.parts\\.statusbar .statusbar-item", { hasText: /Bora: ready ·/ })
    .filter({ hasText: "scripted-model" })
    .waitFor({ timeout: HANG_MS });
  return {
    vscode,
    server,
    async close() {
      await vscode.close();
      await server.stop();
    },
  };
}
