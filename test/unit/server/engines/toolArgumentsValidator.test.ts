import assert from "node:assert/strict";
import { ToolCallAssembler, type ToolDefinition } from "@bora/inference";
import { AjvToolValidator } from "../../../../server/src/engines/toolArgumentsValidator.js";

const readFile: ToolDefinition = {
  name: "read_file",
  description: "Reads a file",
  parameters: {
    type: "object",
    properties: { path: { type: "string", minLength: 1 }, line: { type: "integer", minimum: 1 } },
    required: ["path"],
    additionalProperties: false,
  },
};
const listFiles: ToolDefinition = {
  name: "list_files",
  description: "Lists files",
  parameters: { type: "object", properties: {} },
};

function assembler(indexReuse = false): ToolCallAssembler {
  return new ToolCallAssembler([readFile, listFiles], new AjvToolValidator(), { indexReuse });
}

describe("remote engine: tool-call fragments", () => {
  it("assembles arguments that arrive in pieces, per index, even interleaved", () => {
    const a = assembler();
    a.add({ index: 0, id: "call_a", type: "function", function: { name: "read_file", arguments: "" } });
    a.add({ index: 1, id: "call_b", type: "function", function: { name: "list_files", arguments: "{" } });
    a.add({ index: 0, function: { arguments: '{"pa' } });
    a.add({ index: 1, function: { arguments: "}" } });
    a.add({ index: 0, function: { arguments: 'th":"src/a.ts","line":3}' } });
    assert.deepEqual(a.finish(), [
      { type: "toolCall", call: { id: "call_a", name: "read_file", arguments: { path: "src/a.ts", line: 3 } } },
      { type: "toolCall", call: { id: "call_b", name: "list_files", arguments: {} } },
    ]);
  });

  it("reports unparsable arguments as a toolCallError with the raw text", () => {
    const a = assembler();
    a.add({ index: 0, id: "c1", function: { name: "read_file", arguments: '{"path": "src/a.ts"' } });
    const [event] = a.finish();
    assert.equal(event?.type, "toolCallError");
    assert.ok(event?.type === "toolCallError");
    assert.equal(event.id, "c1");
    assert.equal(event.rawArguments, '{"path": "src/a.ts"');
    assert.match(event.message, /not valid JSON/);
  });

  it("reports arguments that break the tool's schema, naming the field", () => {
    const a = assembler();
    a.add({ index: 0, id: "c1", function: { name: "read_file", arguments: '{"path":"a","line":0,"extra":1}' } });
    const [event] = a.finish();
    assert.ok(event?.type === "toolCallError");
    assert.match(event.message, /arguments\/line must be >= 1/);
    assert.match(event.message, /additional properties/);
  });

  it("reports a call to a tool that was not offered", () => {
    const a = assembler();
    a.add({ index: 0, id: "c1", function: { name: "rm_rf", arguments: "{}" } });
    const [event] = a.finish();
    assert.ok(event?.type === "toolCallError");
    assert.match(event.message, /no tool named 'rm_rf' \(available: read_file, list_files\)/);
  });

  it("treats empty arguments as an empty object and rejects a JSON array", () => {
    const a = assembler();
    a.add({ index: 0, id: "c1", function: { name: "list_files" } });
    a.add({ index: 1, id: "c2", function: { name: "list_files", arguments: "[]" } });
    const [first, second] = a.finish();
    assert.deepEqual(first, { type: "toolCall", call: { id: "c1", name: "list_files", arguments: {} } });
    assert.ok(second?.type === "toolCallError");
    assert.match(second.message, /must be a JSON object/);
  });

  it("with index reuse (Ollama), tells parallel calls at index 0 apart by id and makes up missing ids", () => {
    const a = assembler(true);
    a.add({ index: 0, id: "x1", function: { name: "read_file", arguments: '{"path":"a"}' } });
    a.add({ index: 0, id: "x2", function: { name: "read_file", arguments: '{"path":"b"}' } });
    a.add({ index: 0, function: { name: "list_files", arguments: "{}" } });
    const calls = a.finish();
    assert.deepEqual(
      calls.map((c) => (c.type === "toolCall" ? [c.call.id, c.call.arguments] : c.message)),
      [
        ["x1", { path: "a" }],
        ["x2", { path: "b" }],
        ["call_1", {}],
      ],
    );
  });

  it("without index reuse, a repeated index continues the same call", () => {
    const a = assembler(false);
    a.add({ index: 0, id: "x1", function: { name: "read_file", arguments: '{"path":' } });
    a.add({ index: 0, id: "x1", function: { arguments: '"a"}' } });
    assert.deepEqual(a.finish(), [
      { type: "toolCall", call: { id: "x1", name: "read_file", arguments: { path: "a" } } },
    ]);
  });
});
