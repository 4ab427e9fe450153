import assert from "node:assert/strict";
import { DEFAULT_SETTINGS, protocolCompatible, settingsFrom } from "@bora/protocol";

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
