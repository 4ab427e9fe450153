import assert from "node:assert/strict";
import { GbnfBuilder, UnsupportedSchemaError, gbnfLiteral } from "../../../../inference/src/local/jsonSchemaGrammar.js";
import {
  parseToolCall,
  parseToolCalls,
  toPlainTurns,
  toolCallGrammar,
} from "../../../../inference/src/local/toolCalls.js";

/** The rule body a schema compiles to, with rule references left as names. */
function compile(schema: unknown): { root: string; text: string } {
  const b = new GbnfBuilder();
  const root = b.value(schema);
  return { root, text: b.toString() };
}

function body(text: string, rule: string): string {
  const line = text.split("\n").find((l) => l.startsWith(`${rule} ::= `));
  assert.ok(line, `rule ${rule} exists`);
  return line.slice(rule.length + 5);
}

describe("local engine JSON-schema grammar", () => {
  it("writes integers without an exponent and with bounded digits", () => {
    const { root, text } = compile({ type: "integer" });
    const rule = body(text, root);
    assert.doesNotMatch(rule, /[eE]/);
    assert.match(rule, /\[1-9\] \[0-9\]\{0,14\}/, "at most 15 digits, exact in a double");
    assert.match(rule, /"-"/, "negative numbers allowed without a minimum");
  });

  it("enumerates small integer ranges and drops the sign for non-negative ones", () => {
    const small = compile({ type: "integer", minimum: 2, maximum: 5 });
    assert.equal(body(small.text, small.root), '"2" | "3" | "4" | "5"');
    const positive = compile({ type: "integer", minimum: 0, maximum: 5000 });
    const rule = body(positive.text, positive.root);
    assert.doesNotMatch(rule, /"-"/);
    // 0..999 is the largest set of whole digit counts inside 0..5000: a subset, never more.
    assert.equal(rule, '("0" | [1-9] [0-9]{0,2})');
  });

  it("honours exclusive bounds", () => {
    const { root, text } = compile({ type: "integer", exclusiveMinimum: 0, exclusiveMaximum: 4 });
    assert.equal(body(text, root), '"1" | "2" | "3"');
  });

  it("bounds strings by the schema's maxLength, or by a default limit", () => {
    const own = compile({ type: "string", minLength: 1, maxLength: 12 });
    assert.match(body(own.text, own.root), /str-char\{1,12\}/);
    const b = new GbnfBuilder({ maxStringLength: 33 });
    const name = b.value({ type: "string" });
    assert.match(body(b.toString(), name), /str-char\{0,33\}/);
    // String characters are printable ASCII or escapes, so counted length equals JSON length.
    assert.equal(body(own.text, "str-char"), '[ !#-\\[\\]-~] | "\\\\" ["\\\\/nrt] | "\\\\u" str-hex4');
  });

  it("bounds arrays and writes objects with their required properties first", () => {
    const { root, text } = compile({
      type: "object",
      properties: { a: { type: "boolean" }, b: { type: "array", items: { type: "null" }, maxItems: 3 } },
      required: ["b"],
    });
    const rule = body(text, root);
    assert.ok(rule.startsWith('"{" "\\"b\\"" ":"'), rule);
    assert.match(rule, /\("," "\\"a\\"" ":" v-\d+\)\?/);
    assert.match(text, /\("," v-\d+\)\{0,2\}/, "at most three items");
  });

  it("refuses keywords a grammar cannot guarantee, naming them", () => {
    for (const keyword of ["pattern", "format", "multipleOf", "uniqueItems", "$ref", "allOf"]) {
      assert.throws(
        () => compile({ type: "string", [keyword]: keyword === "uniqueItems" ? true : "x" }),
        (error: unknown) => error instanceof UnsupportedSchemaError && error.message.includes(`"${keyword}"`),
      );
    }
    assert.throws(() => compile({ type: "object", required: ["missing"] }), /required property "missing"/);
    assert.throws(() => compile({ enum: [] }), /empty enum/);
  });

  it("escapes GBNF literals", () => {
    assert.equal(gbnfLiteral('a"b\\c\n'), '"a\\"b\\\\c\\n"');
  });

  it("builds a tool-call grammar with a branch per tool, after the engine's own prefix or after <tool_call>", () => {
    const tools = [
      { name: "read_file", description: "", parameters: { type: "object", properties: {}, required: [] } },
      { name: "grep", description: "", parameters: { type: "object", properties: { q: { type: "string" } } } },
    ];
    const required = toolCallGrammar(tools, { start: "name" });
    assert.match(required, /^root ::= first$/m);
    assert.match(required, /^first ::= "read_file\\",\\"arguments\\":" v-\d+ "\}" \| "grep\\",/m);
    const auto = toolCallGrammar(tools, { start: "open" });
    assert.match(auto, /^root ::= call "<\/tool_call>"$/m);
    assert.match(auto, /^call ::= "\{\\"name\\":\\"read_file\\",\\"arguments\\":"/m);
  });

  it("allows up to maxCalls calls in a turn, each further one optional and after a newline", () => {
    const tools = [{ name: "f", description: "", parameters: { type: "object", properties: {} } }];
    const required = toolCallGrammar(tools, { start: "name", maxCalls: 3 });
    assert.match(required, /^root ::= first more$/m);
    assert.match(
      required,
      /^more ::= \("<\/tool_call>\\n<tool_call>" call \("<\/tool_call>\\n<tool_call>" call\)\?\)\?$/m,
    );
    const auto = toolCallGrammar(tools, { start: "open", maxCalls: 2 });
    assert.match(auto, /^root ::= call "<\/tool_call>" more$/m);
    assert.match(auto, /^more ::= \("\\n<tool_call>" call "<\/tool_call>"\)\?$/m);
    assert.doesNotMatch(toolCallGrammar(tools, { start: "open" }), /more/);
    assert.throws(() => toolCallGrammar(tools, { start: "open", maxCalls: 0 }), /at least 1/);
  });
});

describe("local engine tool-call format", () => {
  const tools = [{ name: "read_file", description: "Reads a file", parameters: { type: "object" } }];

  it("parses a call with or without tags and names what is wrong otherwise", () => {
    assert.deepEqual(parseToolCall('<tool_call>{"name":"read_file","arguments":{"path":"a"}}</tool_call>', tools), {
      ok: true,
      name: "read_file",
      arguments: { path: "a" },
    });
    assert.equal(parseToolCall('{"name":"read_file","arguments":{}}', tools).ok, true);
    const unknown = parseToolCall('{"name":"rm","arguments":{}}', tools);
    assert.ok(!unknown.ok && /no tool named rm/.test(unknown.message));
    const broken = parseToolCall('<tool_call>{"name":', tools);
    assert.ok(!broken.ok && /not JSON/.test(broken.message));
  });

  it("reads several calls of a turn, and reports a cut-off or stray tail as a call that failed", () => {
    const a = '<tool_call>{"name":"read_file","arguments":{"path":"a"}}</tool_call>';
    const b = '<tool_call>{"name":"read_file","arguments":{"path":"b"}}</tool_call>';
    const both = parseToolCalls(`${a}\n${b}`, tools);
    assert.deepEqual(
      both.map((c) => (c.ok ? c.arguments : c.message)),
      [{ path: "a" }, { path: "b" }],
    );
    assert.deepEqual(
      both.map((c) => [c.complete, c.text]),
      [
        [true, a],
        [true, b],
      ],
    );
    const cut = parseToolCalls(`${a}\n<tool_call>{"name":"read_`, tools);
    assert.equal(cut.length, 2);
    assert.equal(cut[1]?.complete, false);
    const stray = parseToolCalls(`${a} and then some`, tools);
    assert.equal(stray.length, 2);
    assert.equal(stray[1]?.ok, false);
  });

  it("flattens tool calls and results into the three chat roles, tools listed in the system turn", () => {
    const turns = toPlainTurns(
      [
        { role: "user", content: "read a" },
        { role: "assistant", content: "", toolCalls: [{ id: "1", name: "read_file", arguments: { path: "a" } }] },
        { role: "tool", toolCallId: "1", name: "read_file", content: "A" },
        { role: "tool", toolCallId: "2", name: "read_file", content: "B" },
      ],
      tools,
    );
    assert.deepEqual(
      turns.map((t) => t.role),
      ["system", "user", "model", "user"],
    );
    assert.match(turns[0]?.text ?? "", /<tools>\n\{"type":"function","function":\{"name":"read_file"/);
    assert.equal(turns[2]?.text, '<tool_call>{"name":"read_file","arguments":{"path":"a"}}</tool_call>');
    assert.match(turns[3]?.text ?? "", /<tool_response name="read_file">\nA\n<\/tool_response>\n<tool_response/);
  });
});
