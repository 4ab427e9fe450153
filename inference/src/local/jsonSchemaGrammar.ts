/**
 * JSON Schema → GBNF for llama.cpp's grammar sampler, written so that every string the grammar
 * accepts parses with `JSON.parse` and is valid against the schema: schema-valid is certain, not
 * likely. node-llama-cpp's own converter is not used because it leaves two holes (see
 * shared/notes/inference.md §5b): integers may carry an exponent (`38E2626292108370810` parses as
 * `Infinity`), and strings and arrays are unbounded, so a weak model can run until `maxTokens` and
 * never close the call.
 *
 * How certainty is reached:
 * - integers and numbers have no exponent and a bounded number of digits, and ranges are honoured
 *   by generating a subset of the allowed range (never a superset);
 * - strings use printable ASCII plus JSON escapes (`\uXXXX` outside the surrogate range), so the
 *   length the grammar counts is the length JSON Schema counts, whatever the tokenizer does with
 *   bytes; every string and array has an upper bound (the schema's own, or a default limit);
 * - objects never emit properties the schema does not list, and always emit the required ones;
 * - keywords whose meaning a grammar cannot guarantee (`pattern`, `format`, `multipleOf`,
 *   `uniqueItems`, `$ref`, ...) are refused with an error that names the keyword, instead of being
 *   silently ignored.
 */

export interface GrammarLimits {
  /** Longest string the grammar lets the model write when the schema sets no `maxLength`. Defaults to 200. */
  maxStringLength?: number;
  /** Most array items when the schema sets no `maxItems`. Defaults to 8. */
  maxArrayItems?: number;
  /** Most digits in the integer part of a number without bounds. Defaults to 15 (exact in a double). */
  maxIntegerDigits?: number;
  /** Most digits after the decimal point of a number. Defaults to 6. */
  maxFractionDigits?: number;
  /** When an integer range cannot be written as whole digit counts, this many values are enumerated. Defaults to 64. */
  maxEnumeratedIntegers?: number;
}

const DEFAULT_LIMITS: Required<GrammarLimits> = {
  maxStringLength: 200,
  maxArrayItems: 8,
  maxIntegerDigits: 15,
  maxFractionDigits: 6,
  maxEnumeratedIntegers: 64,
};

/** A schema the converter cannot turn into a grammar that guarantees validity. */
export class UnsupportedSchemaError extends Error {
  override readonly name = "UnsupportedSchemaError";
}

/** Keywords that only annotate: they never change which values are valid. */
const ANNOTATIONS = new Set([
  "description",
  "title",
  "default",
  "examples",
  "$schema",
  "$id",
  "$comment",
  "deprecated",
  "readOnly",
  "writeOnly",
]);

const HANDLED = new Set([
  "type",
  "enum",
  "const",
  "anyOf",
  "oneOf",
  "properties",
  "required",
  "additionalProperties",
  "items",
  "minItems",
  "maxItems",
  "minLength",
  "maxLength",
  "minimum",
  "maximum",
  "exclusiveMinimum",
  "exclusiveMaximum",
]);

/** Escapes text for a GBNF double-quoted literal. */
export function gbnfLiteral(text: string): string {
  let out = '"';
  for (const ch of text) {
    const code = ch.codePointAt(0) as number;
    if (ch === '"' || ch === "\\") out += `\\${ch}`;
    else if (ch === "\n") out += "\\n";
    else if (ch === "\r") out += "\\r";
    else if (ch === "\t") out += "\\t";
    else if (code < 0x20 || code === 0x7f) out += `\\x${code.toString(16).padStart(2, "0")}`;
    else out += ch;
  }
  return `${out}"`;
}

type Schema = Record<string, unknown>;

function isSchema(value: unknown): value is Schema {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/**
 * Collects GBNF rules. Rule bodies are deduplicated, so that equal sub-schemas share one rule.
 */
export class GbnfBuilder {
  private readonly rules = new Map<string, string>();
  private readonly byBody = new Map<string, string>();
  private readonly limits: Required<GrammarLimits>;

  constructor(limits: GrammarLimits = {}) {
    this.limits = { ...DEFAULT_LIMITS, ...limits };
    this.define("ws", '""');
    this.define("str-char", '[ !#-\\[\\]-~] | "\\\\" ["\\\\/nrt] | "\\\\u" str-hex4');
    // \uXXXX outside U+D800..U+DFFF, so no escape is half of a surrogate pair.
    this.define("str-hex4", "([0-9a-cA-C] hex hex hex) | ([dD] [0-7] hex hex) | ([eEfF] hex hex hex)");
    this.define("hex", "[0-9a-fA-F]");
  }

  /** Adds a rule under a fixed name (for entry points such as `root`). */
  define(name: string, body: string): string {
    this.rules.set(name, body);
    return name;
  }

  /** The grammar text, all rules. */
  toString(): string {
    return [...this.rules].map(([name, body]) => `${name} ::= ${body}`).join("\n");
  }

  /** Returns the name of a rule that accepts exactly the JSON values valid against `schema`. */
  value(schema: unknown, where = "schema"): string {
    if (schema === true || (isSchema(schema) && Object.keys(schema).every((k) => ANNOTATIONS.has(k)))) {
      return this.anyValue(2);
    }
    if (!isSchema(schema)) throw new UnsupportedSchemaError(`${where}: expected a schema object`);
    for (const key of Object.keys(schema)) {
      if (!HANDLED.has(key) && !ANNOTATIONS.has(key)) {
        throw new UnsupportedSchemaError(
          `${where}: the keyword "${key}" cannot be enforced by a grammar; remove it or express it with enum, bounds or anyOf`,
        );
      }
    }
    if ("const" in schema) return this.named(literalJson(schema["const"], where));
    if (Array.isArray(schema["enum"])) {
      if (schema["enum"].length === 0) throw new UnsupportedSchemaError(`${where}: an empty enum admits no value`);
      return this.named(schema["enum"].map((v) => literalJson(v, where)).join(" | "));
    }
    const alternatives = (schema["anyOf"] ?? schema["oneOf"]) as unknown;
    if (alternatives !== undefined) {
      if (!Array.isArray(alternatives) || alternatives.length === 0) {
        throw new UnsupportedSchemaError(`${where}: anyOf/oneOf must be a non-empty array`);
      }
      const keys = Object.keys(schema).filter((k) => k !== "anyOf" && k !== "oneOf" && !ANNOTATIONS.has(k));
      if (keys.length > 0) {
        throw new UnsupportedSchemaError(`${where}: anyOf/oneOf next to ${keys.join(", ")} is not supported`);
      }
      return this.named(alternatives.map((s, i) => this.value(s, `${where}.anyOf[${i}]`)).join(" | "));
    }
    const type = schema["type"];
    const types = Array.isArray(type) ? type : type === undefined ? inferTypes(schema) : [type];
    if (types.length === 0) return this.anyValue(2);
    return this.named(types.map((t) => this.typed(String(t), schema, where)).join(" | "));
  }

  private typed(type: string, schema: Schema, where: string): string {
    switch (type) {
      case "string":
        return this.string(schema, where);
      case "integer":
        return this.integer(schema, where);
      case "number":
        return this.number(schema, where);
      case "boolean":
        return this.named('"true" | "false"');
      case "null":
        return this.named('"null"');
      case "array":
        return this.array(schema, where);
      case "object":
        return this.object(schema, where);
      default:
        throw new UnsupportedSchemaError(`${where}: unknown type "${type}"`);
    }
  }

  private string(schema: Schema, where: string): string {
    const min = nonNegativeInt(schema["minLength"], 0, `${where}.minLength`);
    const max = nonNegativeInt(schema["maxLength"], Math.max(min, this.limits.maxStringLength), `${where}.maxLength`);
    if (max < min) throw new UnsupportedSchemaError(`${where}: maxLength is below minLength`);
    return this.named(`"\\"" str-char{${min},${max}} "\\""`);
  }

  private integer(schema: Schema, where: string): string {
    const range = integerRange(schema, where);
    return this.named(this.integerBody(range.min, range.max, where));
  }

  private number(schema: Schema, where: string): string {
    const bounded = ["minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum"].some((k) => k in schema);
    if (bounded) {
      // A subset that is certainly inside the bounds: the integers of the range.
      const range = integerRange(schema, where);
      return this.named(this.integerBody(range.min, range.max, where));
    }
    const int = this.integerBody(undefined, undefined, where);
    return this.named(`(${int}) ("." [0-9]{1,${this.limits.maxFractionDigits}})?`);
  }

  /** Integers in [min, max] (either may be open), as GBNF: a subset of the range, never more. */
  private integerBody(min: number | undefined, max: number | undefined, where: string): string {
    const digits = this.limits.maxIntegerDigits;
    const cap = 10 ** digits - 1;
    const lo = min ?? -cap;
    const hi = max ?? cap;
    if (lo > hi) throw new UnsupportedSchemaError(`${where}: the integer range is empty`);
    if (hi - lo < this.limits.maxEnumeratedIntegers) return enumerate(lo, hi);
    const parts: string[] = [];
    // Non-negative part: whole digit counts k with 10^(k-1) >= max(lo, 1) .. 10^k - 1 <= hi.
    if (hi >= 0) {
      const positive = digitRange(Math.max(lo, 0), hi, digits);
      if (positive !== undefined) parts.push(positive);
    }
    if (lo < 0) {
      const negative = digitRange(Math.max(-hi, 1), -lo, digits);
      if (negative !== undefined) parts.push(`"-" (${negative})`);
    }
    if (parts.length === 0) return enumerate(lo, lo + this.limits.maxEnumeratedIntegers - 1);
    return parts.map((p) => `(${p})`).join(" | ");
  }

  private array(schema: Schema, where: string): string {
    const item = this.value(schema["items"] ?? true, `${where}.items`);
    const min = nonNegativeInt(schema["minItems"], 0, `${where}.minItems`);
    const max = nonNegativeInt(schema["maxItems"], Math.max(min, this.limits.maxArrayItems), `${where}.maxItems`);
    if (max < min) throw new UnsupportedSchemaError(`${where}: maxItems is below minItems`);
    if (max === 0) return this.named('"[]"');
    const rest = `("," ${item}){${Math.max(0, min - 1)},${max - 1}}`;
    const body = `${item} ${rest}`;
    return this.named(min === 0 ? `"[" (${body})? "]"` : `"[" ${body} "]"`);
  }

  private object(schema: Schema, where: string): string {
    const properties = schema["properties"] ?? {};
    if (!isSchema(properties)) throw new UnsupportedSchemaError(`${where}.properties: expected an object`);
    const required = (schema["required"] ?? []) as unknown;
    if (!Array.isArray(required) || !required.every((r) => typeof r === "string")) {
      throw new UnsupportedSchemaError(`${where}.required: expected an array of property names`);
    }
    for (const name of required) {
      if (!(name in properties)) {
        throw new UnsupportedSchemaError(`${where}: required property "${name}" has no schema in properties`);
      }
    }
    const pair = (name: string): string =>
      `${gbnfLiteral(JSON.stringify(name))} ":" ${this.value(properties[name], `${where}.properties.${name}`)}`;
    const requiredNames = required as string[];
    const optionalNames = Object.keys(properties).filter((n) => !requiredNames.includes(n));
    if (requiredNames.length > 0) {
      const head = requiredNames.map(pair).join(' "," ');
      const tail = optionalNames.map((n) => `("," ${pair(n)})?`).join(" ");
      return this.named(`"{" ${head} ${tail} "}"`);
    }
    if (optionalNames.length === 0) return this.named('"{}"');
    // No required property: the first one written needs no comma, so branch on which comes first.
    const branches = optionalNames.map((first, i) => {
      const later = optionalNames.slice(i + 1).map((n) => `("," ${pair(n)})?`);
      return [pair(first), ...later].join(" ");
    });
    return this.named(`"{" (${branches.join(" | ")})? "}"`);
  }

  /** Any JSON value, bounded in depth, string length and array length. */
  private anyValue(depth: number): string {
    const scalar = this.named(
      `${this.string({}, "any")} | ${this.number({}, "any")} | "true" | "false" | "null"`,
      "any-scalar",
    );
    if (depth === 0) return scalar;
    const inner = this.anyValue(depth - 1);
    const max = this.limits.maxArrayItems;
    const key = this.string({ maxLength: 40 }, "any");
    return this.named(
      `${scalar} | "[" (${inner} ("," ${inner}){0,${max - 1}})? "]" | "{" (${key} ":" ${inner} ("," ${key} ":" ${inner}){0,${max - 1}})? "}"`,
      `any-${depth}`,
    );
  }

  /** A rule for `body`, reusing an existing rule with the same body. */
  private named(body: string, hint = "v"): string {
    // A body that is just another rule's name needs no rule of its own.
    if (this.rules.has(body)) return body;
    const existing = this.byBody.get(body);
    if (existing !== undefined) return existing;
    const name = `${hint}-${this.byBody.size}`;
    this.byBody.set(body, name);
    this.rules.set(name, body);
    return name;
  }
}

function literalJson(value: unknown, where: string): string {
  const json = JSON.stringify(value);
  if (json === undefined) throw new UnsupportedSchemaError(`${where}: const/enum values must be JSON`);
  return gbnfLiteral(json);
}

function inferTypes(schema: Schema): string[] {
  if ("properties" in schema || "required" in schema || "additionalProperties" in schema) return ["object"];
  if ("items" in schema || "minItems" in schema || "maxItems" in schema) return ["array"];
  if ("minLength" in schema || "maxLength" in schema) return ["string"];
  if (["minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum"].some((k) => k in schema)) return ["number"];
  return [];
}

function nonNegativeInt(value: unknown, fallback: number, where: string): number {
  if (value === undefined) return fallback;
  if (typeof value !== "number" || !Number.isInteger(value) || value < 0) {
    throw new UnsupportedSchemaError(`${where}: expected a non-negative integer`);
  }
  return value;
}

function integerRange(schema: Schema, where: string): { min: number | undefined; max: number | undefined } {
  const num = (key: string): number | undefined => {
    const v = schema[key];
    if (v === undefined) return undefined;
    if (typeof v !== "number" || !Number.isFinite(v))
      throw new UnsupportedSchemaError(`${where}.${key}: expected a number`);
    return v;
  };
  const bounds = [num("minimum"), num("exclusiveMinimum")];
  const lows = [
    bounds[0] === undefined ? undefined : Math.ceil(bounds[0]),
    bounds[1] === undefined ? undefined : Math.floor(bounds[1]) + 1,
  ].filter((v): v is number => v !== undefined);
  const tops = [num("maximum"), num("exclusiveMaximum")];
  const highs = [
    tops[0] === undefined ? undefined : Math.floor(tops[0]),
    tops[1] === undefined ? undefined : Math.ceil(tops[1]) - 1,
  ].filter((v): v is number => v !== undefined);
  return {
    min: lows.length > 0 ? Math.max(...lows) : undefined,
    max: highs.length > 0 ? Math.min(...highs) : undefined,
  };
}

function enumerate(lo: number, hi: number): string {
  const values: string[] = [];
  for (let v = lo; v <= hi; v++) values.push(gbnfLiteral(String(v)));
  return values.join(" | ");
}

/**
 * Non-negative integers in [lo, hi] written as "all numbers with k digits" for the digit counts k
 * that fit entirely inside the range (plus "0" when 0 is in range). Undefined when none fits.
 */
function digitRange(lo: number, hi: number, maxDigits: number): string | undefined {
  const alternatives: string[] = [];
  if (lo === 0) alternatives.push('"0"');
  let smallest: number | undefined;
  let largest: number | undefined;
  for (let k = 1; k <= maxDigits; k++) {
    const first = k === 1 ? 1 : 10 ** (k - 1);
    const last = 10 ** k - 1;
    if (first >= Math.max(lo, 1) && last <= hi) {
      smallest ??= k;
      largest = k;
    }
  }
  if (smallest !== undefined && largest !== undefined) {
    const extra = largest - 1;
    const minExtra = smallest - 1;
    alternatives.push(extra === 0 ? "[1-9]" : `[1-9] [0-9]{${minExtra},${extra}}`);
  }
  return alternatives.length > 0 ? alternatives.join(" | ") : undefined;
}
