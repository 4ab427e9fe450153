/**
 * The params gate, walked over every custom method the protocol defines: each client → host method
 * gets `{}`, `null`, no params, positional params, wrong types and huge strings for every field, over
 * a real JSON-RPC connection, and must answer `InvalidParams` naming the field — never an internal
 * error, never a crash — while its example params reach the handler intact.
 */
import assert from "node:assert/strict";
import { readFileSync, readdirSync, statSync } from "node:fs";
import path from "node:path";
import { PassThrough } from "node:stream";
import * as protocol from "@bora/protocol";
import { Type, type TSchema } from "@sinclair/typebox";
import { Ajv } from "ajv";
import { StreamMessageReader, type Message, type ResponseMessage } from "vscode-languageserver-protocol/node";
import { ErrorCodes, RequestType, createConnection, type Connection } from "vscode-languageserver/node";
import { createLogger } from "../../../../server/src/host/logger.js";
import {
  checkParams,
  onCheckedNotification,
  onCheckedRequest,
  type CheckedMethod,
} from "../../../../server/src/lsp/params.js";
import { REPO_ROOT } from "../../../support/paths.js";

interface MethodNamespace {
  method: string;
  direction: protocol.Direction;
  params: TSchema & { examples?: unknown[] };
  type: { constructor: { name: string } };
}

/** Every method namespace `@bora/protocol` exports, found the way the protocol-doc test finds them. */
const methods: MethodNamespace[] = Object.values(protocol as Record<string, unknown>).filter(
  (value): value is MethodNamespace =>
    typeof value === "object" &&
    value !== null &&
    typeof (value as { method?: unknown }).method === "string" &&
    typeof (value as { params?: unknown }).params === "object" &&
    typeof (value as { type?: unknown }).type === "object",
);
const incoming = methods.filter((m) => m.direction === "clientToHost");

/** Far beyond every limit the schemas name (the largest is 64 KiB), and big enough to hurt a handler that trusted it. */
const HUGE = "x".repeat(4 * 1024 * 1024);
const ajv = new Ajv({ strict: false });

type Schema = Record<string, unknown> & { examples?: unknown[] };

/** The schema's first example: every params schema and every object a union can hold carries one. */
function exampleOf(schema: Schema, where: string): unknown {
  assert.ok(Array.isArray(schema.examples) && schema.examples.length > 0, `${where} has an example`);
  return structuredClone(schema.examples[0]);
}

interface Field {
  /** Dotted path as error messages name it, e.g. `sealed.data`. */
  path: string;
  schema: Schema;
  /** A valid params object in which this field can be replaced. */
  base: Record<string, unknown>;
  set(base: Record<string, unknown>, value: unknown): Record<string, unknown>;
}

/** Every field reachable through objects, including those of an object inside a union (`T | null`). */
function fieldsOf(schema: Schema, base: Record<string, unknown>, prefix: string[] = []): Field[] {
  const out: Field[] = [];
  const properties = (schema["properties"] ?? {}) as Record<string, Schema>;
  for (const [name, child] of Object.entries(properties)) {
    const path = [...prefix, name];
    const set = (b: Record<string, unknown>, value: unknown): Record<string, unknown> => {
      const copy = structuredClone(b);
      let at = copy;
      for (const key of path.slice(0, -1)) at = at[key] as Record<string, unknown>;
      at[path[path.length - 1]!] = value;
      return copy;
    };
    out.push({ path: path.join("."), schema: child, base, set });
    const objects = [child, ...(((child["anyOf"] as Schema[] | undefined) ?? []) as Schema[])].filter(
      (s) => s["type"] === "object",
    );
    for (const object of objects) {
      const withObject = set(base, exampleOf(object, path.join(".")));
      out.push(...fieldsOf(object, withObject, path));
    }
  }
  return out;
}

/** A value the field's schema refuses because of its type. */
function wrongTypeFor(schema: Schema): unknown {
  const validate = ajv.compile(schema);
  const candidate = [12345, "text", true, { nested: 1 }, [1, 2]].find((value) => !validate(value));
  assert.ok(candidate !== undefined, "some type is wrong for every field");
  return candidate;
}

/** Whether every string the schema admits is bounded (huge strings must be refused, not processed). */
function boundedStrings(schema: Schema): boolean {
  const branches = (schema["anyOf"] as Schema[] | undefined) ?? [schema];
  return branches.every(
    (s) => s["type"] !== "string" || typeof s["maxLength"] === "number" || Array.isArray(s["enum"]),
  );
}

/** A server connection over in-memory streams, and a raw client that writes JSON-RPC frames itself. */
class RawPeer {
  private readonly toServer = new PassThrough();
  private readonly fromServer = new PassThrough();
  private readonly replies = new Map<number, (message: ResponseMessage) => void>();
  private nextId = 1;
  readonly connection: Connection;

  constructor() {
    this.connection = createConnection(new StreamMessageReader(this.toServer), this.fromServer as never);
    new StreamMessageReader(this.fromServer).listen((message: Message) => {
      const reply = message as ResponseMessage;
      if (typeof reply.id === "number") this.replies.get(reply.id)?.(reply);
    });
  }

  /** Sends a request with exactly this `params` member (`omit` leaves it out). */
  request(method: string, params: unknown, omit = false): Promise<ResponseMessage> {
    const id = this.nextId++;
    const message = omit ? { jsonrpc: "2.0", id, method } : { jsonrpc: "2.0", id, method, params };
    const body = Buffer.from(JSON.stringify(message), "utf8");
    this.toServer.write(Buffer.concat([Buffer.from(`Content-Length: ${body.length}\r\n\r\n`), body]));
    return new Promise((resolve) => this.replies.set(id, resolve));
  }

  dispose(): void {
    this.connection.dispose();
    this.toServer.destroy();
    this.fromServer.destroy();
  }
}

const quietLogger = (): ReturnType<typeof createLogger> => {
  const logger = createLogger();
  logger.setSink({ write: () => undefined });
  return logger;
};

describe("the params gate, over every custom method", () => {
  let peer: RawPeer;
  /** What each handler received, by method. */
  const received = new Map<string, unknown[]>();

  before(() => {
    assert.ok(incoming.length >= 3, "the walker found the client → host methods");
    peer = new RawPeer();
    const logger = quietLogger();
    for (const definition of incoming) {
      received.set(definition.method, []);
      const record = (params: unknown): null => {
        received.get(definition.method)!.push(params);
        return null;
      };
      if (/Notification/.test(definition.type.constructor.name)) {
        onCheckedNotification(peer.connection, definition as never, (params) => void record(params), logger);
      } else {
        onCheckedRequest(peer.connection, definition as unknown as CheckedMethod<unknown, null>, record, logger);
      }
    }
    // A plain method after the gated ones: the connection must still answer it after the abuse.
    peer.connection.onRequest(new RequestType<void, string, void>("test/ping"), () => "pong");
    peer.connection.listen();
  });

  after(() => peer.dispose());

  for (const definition of methods) {
    it(`${definition.method}: its params have one schema with an example that the schema accepts`, () => {
      const example = exampleOf(definition.params as Schema, definition.method);
      assert.ok(ajv.validate(definition.params, example), JSON.stringify(ajv.errors));
    });
  }

  for (const definition of incoming.filter((m) => !/Notification/.test(m.type.constructor.name))) {
    const { method } = definition;
    const schema = definition.params as Schema;
    const required = (schema["required"] as string[] | undefined) ?? [];

    /** Sends, and asserts the answer is InvalidParams whose message names `field`. */
    const refused = async (params: unknown, field: string | RegExp, omit = false): Promise<void> => {
      const reply = await peer.request(method, params, omit);
      assert.ok(reply.error, `${method} refused ${JSON.stringify(params)?.slice(0, 80)}`);
      assert.equal(reply.error.code, ErrorCodes.InvalidParams, reply.error.message);
      if (typeof field === "string") assert.ok(reply.error.message.includes(`'${field}'`), reply.error.message);
      else assert.match(reply.error.message, field);
      const data = reply.error.data as protocol.Problem;
      assert.equal(data.code, "invalidParams");
      assert.equal(data.message, reply.error.message, "the Problem in data says the same");
    };

    it(`${method}: passes its example through to the handler, ignoring unknown fields`, async () => {
      const example = exampleOf(schema, method) as Record<string, unknown>;
      const reply = await peer.request(method, { ...example, someFieldOfANewerClient: [1, { a: 2 }] });
      assert.equal(reply.error, undefined, reply.error?.message);
      const seen = received.get(method)!.at(-1) as Record<string, unknown>;
      for (const [key, value] of Object.entries(example)) assert.deepEqual(seen[key], value);
    });

    it(`${method}: {}, null and no params answer with the first missing field, or succeed when none is required`, async () => {
      for (const [params, omit] of [
        [{}, false],
        [null, false],
        [undefined, true],
      ] as const) {
        if (required.length === 0) {
          const reply = await peer.request(method, params, omit);
          assert.equal(reply.error, undefined, `${JSON.stringify(params)}: ${reply.error?.message}`);
        } else {
          await refused(params, required[0]!, omit);
        }
      }
    });

    it(`${method}: params that are not an object are refused`, async () => {
      await refused("just a string", /'params' must be an object/);
      await refused(42, /'params' must be an object/);
      await refused(HUGE, /'params' must be an object/);
      await refused([1, "two"], /not a list/);
    });

    for (const field of fieldsOf(schema, exampleOf(schema, method) as Record<string, unknown>)) {
      it(`${method}: '${field.path}' of the wrong type, or a huge string, is refused by name`, async () => {
        await refused(field.set(field.base, wrongTypeFor(field.schema)), field.path);
        assert.ok(boundedStrings(field.schema), `'${field.path}' bounds its strings (maxLength or enum)`);
        const validate = ajv.compile(field.schema);
        if (!validate(HUGE)) await refused(field.set(field.base, HUGE), field.path);
      });
    }
  }

  it("still answers after all of that", async () => {
    const reply = await peer.request("test/ping", null);
    assert.equal(reply.result, "pong");
  });
});

describe("checkParams", () => {
  it("fills in a missing optional field's documented default, and leaves a given one alone", () => {
    const schema = Type.Object({ depth: Type.Optional(Type.Integer({ default: 3 })), name: Type.String() });
    assert.deepEqual(checkParams("test/x", schema, { name: "a" }), { name: "a", depth: 3 });
    assert.deepEqual(checkParams("test/x", schema, { name: "a", depth: 7 }), { name: "a", depth: 7 });
  });

  it("does not change the caller's object", () => {
    const schema = Type.Object({ depth: Type.Optional(Type.Integer({ default: 3 })) });
    const raw = {};
    checkParams("test/x", schema, raw);
    assert.deepEqual(raw, {});
  });

  it("names the allowed values of an enum and the field inside a union's object", () => {
    assert.throws(
      () => checkParams("bora/setSecret", protocol.SetSecret.params, { name: "aws.secretKey", sealed: null }),
      /'name' is "aws\.secretKey"; it must be one of "remote\.apiKey", "github\.token"/,
    );
    const sealed = { ...(protocol.SealedSecret.examples as Record<string, unknown>[])[0] };
    delete sealed["tag"];
    assert.throws(
      () => checkParams("bora/setSecret", protocol.SetSecret.params, { name: "remote.apiKey", sealed }),
      /missing required field 'sealed\.tag'/,
    );
    assert.throws(
      () => checkParams("bora/setSecret", protocol.SetSecret.params, { name: "remote.apiKey", sealed: "plain" }),
      /'sealed' must be an object or null/,
    );
  });
});

describe("every custom method goes through the gate", () => {
  it("no handler in server/src registers a protocol method directly with connection.onRequest/onNotification", () => {
    const names = new Set(
      Object.entries(protocol as Record<string, unknown>)
        .filter(([, v]) => methods.includes(v as MethodNamespace))
        .map(([name]) => name),
    );
    const files = (dir: string): string[] =>
      readdirSync(dir).flatMap((name) => {
        const full = path.join(dir, name);
        return statSync(full).isDirectory() ? files(full) : name.endsWith(".ts") ? [full] : [];
      });
    const offenders: string[] = [];
    for (const file of files(path.join(REPO_ROOT, "server/src"))) {
      const text = readFileSync(file, "utf8");
      for (const match of text.matchAll(/\.on(?:Request|Notification)\(\s*(\w+)\.(?:type|method)\b/g)) {
        if (names.has(match[1]!)) offenders.push(`${path.relative(REPO_ROOT, file)}: ${match[0]}`);
      }
    }
    assert.ok(names.size >= 4, "the walker knows the protocol's namespaces");
    assert.deepEqual(offenders, [], "register custom methods with onCheckedRequest / onCheckedNotification");
  });
});
