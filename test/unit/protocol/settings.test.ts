import assert from "node:assert/strict";
import { DEFAULT_SETTINGS, engineSettingsDiffer, protocolCompatible, settingsFrom } from "@bora/protocol";

describe("settingsFrom", () => {
  it("gives the defaults for nothing at all", () => {
    assert.deepEqual(settingsFrom(undefined), { settings: DEFAULT_SETTINGS, warnings: [] });
    assert.deepEqual(settingsFrom(null).settings, DEFAULT_SETTINGS);
  });
  it("keeps valid values", () => {
    assert.equal(settingsFrom({ host: { logLevel: "debug" } }).settings.host.logLevel, "debug");
  });
  it("replaces a bad value by its default and says which key and value", () => {
    const { settings, warnings } = settingsFrom({ host: { logLevel: "loud" } });
    assert.equal(settings.host.logLevel, "info");
    assert.equal(warnings.length, 1);
    assert.match(warnings[0]!, /bora\.host\.logLevel: "loud" is not one of error, warn, info, debug/);
  });
  it("ignores a section of the wrong shape", () => {
    assert.deepEqual(settingsFrom({ host: ["x"] }).settings, DEFAULT_SETTINGS);
  });
});

describe("protocolCompatible", () => {
  it("compares major parts from 1.0 on", () => {
    assert.equal(protocolCompatible("1.2.0", "1.9.3"), true);
    assert.equal(protocolCompatible("2.0.0", "1.9.3"), false);
  });
  it("compares minor parts before 1.0, where minors may break", () => {
    assert.equal(protocolCompatible("0.1.0", "0.1.7"), true);
    assert.equal(protocolCompatible("0.2.0", "0.1.0"), false);
  });
  it("refuses versions it cannot read", () => {
    assert.equal(protocolCompatible("garbage", "0.1.0"), false);
  });
});

describe("engine settings", () => {
  it("reads the engine, the models per role and the engine options", () => {
    const { settings, warnings } = settingsFrom({
      engine: "remote",
      models: { chat: " qwen-coder ", edit: "", fim: "codestral" },
      local: { contextSize: 8192, sequences: 2, threads: 4, gpuLayers: 20 },
      remote: { preset: "mistral", baseUrl: "http://gpu-box.invalid:8000/v1" },
    });
    assert.deepEqual(warnings, []);
    assert.equal(settings.engine, "remote");
    assert.deepEqual(settings.models, { chat: "qwen-coder", edit: "", fim: "codestral" });
    assert.deepEqual(settings.local, { contextSize: 8192, sequences: 2, threads: 4, gpuLayers: 20 });
    assert.deepEqual(settings.remote, { preset: "mistral", baseUrl: "http://gpu-box.invalid:8000/v1" });
  });

  it("falls back per value and names each bad one", () => {
    const { settings, warnings } = settingsFrom({
      engine: "cloud",
      models: { chat: 42 },
      local: { contextSize: 10, sequences: 2.5, gpuLayers: "lots" },
      remote: { preset: "openai-ish" },
    });
    assert.equal(settings.engine, "local");
    assert.equal(settings.models.chat, "");
    assert.equal(settings.local.contextSize, 4096);
    assert.equal(settings.local.sequences, 4);
    assert.equal(settings.local.gpuLayers, "auto");
    assert.equal(settings.remote.preset, "openai");
    assert.deepEqual(
      warnings.map((w) => w.split(":")[0]),
      [
        "bora.engine",
        "bora.models.chat",
        "bora.local.contextSize",
        "bora.local.sequences",
        "bora.local.gpuLayers",
        "bora.remote.preset",
      ],
    );
  });

  it("tells engine changes from other changes", () => {
    const base = settingsFrom({ models: { chat: "a.gguf" } }).settings;
    assert.equal(
      engineSettingsDiffer(base, settingsFrom({ models: { chat: "a.gguf" }, host: { logLevel: "debug" } }).settings),
      false,
    );
    assert.equal(engineSettingsDiffer(base, settingsFrom({ models: { chat: "b.gguf" } }).settings), true);
    assert.equal(
      engineSettingsDiffer(base, settingsFrom({ models: { chat: "a.gguf" }, local: { threads: 2 } }).settings),
      true,
    );
  });
});

describe("completion settings", () => {
  it("are on by default, with a short debounce and a few lines", () => {
    assert.deepEqual(settingsFrom({}).settings.completions, {
      enabled: true,
      debounceMs: 50,
      maxLines: 4,
      budgetMs: 250,
    });
  });

  it("reads what the user set", () => {
    const completions = { enabled: false, debounceMs: 0, maxLines: 1, budgetMs: 0 };
    const { settings, warnings } = settingsFrom({ completions });
    assert.deepEqual(settings.completions, completions);
    assert.deepEqual(warnings, []);
  });

  it("replaces bad values by their defaults with a warning naming the key", () => {
    const { settings, warnings } = settingsFrom({
      completions: { enabled: "yes", debounceMs: -5, maxLines: 0, budgetMs: 60_000 },
    });
    assert.deepEqual(settings.completions, DEFAULT_SETTINGS.completions);
    assert.equal(warnings.length, 4);
    assert.match(warnings[0]!, /^bora\.completions\.enabled: "yes" is not true or false; using true$/);
    assert.match(warnings[1]!, /^bora\.completions\.debounceMs: -5 /);
    assert.match(warnings[2]!, /^bora\.completions\.maxLines: 0 /);
    assert.match(warnings[3]!, /^bora\.completions\.budgetMs: 60000 /);
  });

  it("do not reload the engines when they change", () => {
    const base = settingsFrom({ models: { chat: "a.gguf" } }).settings;
    const changed = settingsFrom({ models: { chat: "a.gguf" }, completions: { maxLines: 9 } }).settings;
    assert.equal(engineSettingsDiffer(base, changed), false);
  });
});
