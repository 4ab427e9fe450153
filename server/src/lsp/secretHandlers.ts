/**
 * LSP handler for `bora/setSecret`: secrets the extension keeps in the editor's secret storage.
 * Values are handed to their owner and never logged; only which secret changed is.
 */
import { SECRET_NAMES, SetSecret, type SealedSecret, type SecretName, type SecretOpener } from "@bora/protocol";
import { ErrorCodes, ResponseError, type Connection } from "vscode-languageserver/node";
import type { EngineManager } from "../engines/engineManager.js";
import type { Logger } from "../host/logger.js";

function isSecretName(name: unknown): name is SecretName {
  return typeof name === "string" && (SECRET_NAMES as readonly string[]).includes(name);
}

function isSealed(value: unknown): value is SealedSecret {
  if (typeof value !== "object" || value === null) return false;
  const v = value as Record<string, unknown>;
  return ["key", "iv", "data", "tag"].every((field) => typeof v[field] === "string");
}

export function registerSecretHandlers(
  connection: Connection,
  engines: EngineManager,
  logger: Logger,
  opener: SecretOpener,
): void {
  connection.onRequest(SetSecret.type, async (params) => {
    const { name, sealed } = (params ?? {}) as { name?: unknown; sealed?: unknown };
    if (!isSecretName(name)) {
      throw new ResponseError(
        ErrorCodes.InvalidParams,
        `unknown secret ${JSON.stringify(name)}; known: ${SECRET_NAMES.join(", ")}`,
      );
    }
    let value: string | null = null;
    if (sealed !== null) {
      if (!isSealed(sealed)) throw new ResponseError(ErrorCodes.InvalidParams, `${name} must be sealed, or null`);
      try {
        value = opener.open(name, sealed).trim();
      } catch {
        // Sealed for another host process (one that restarted) or altered: the client seals again.
        throw new ResponseError(ErrorCodes.InvalidParams, `${name} was not sealed to this host's secretKey`);
      }
      if (value === "") throw new ResponseError(ErrorCodes.InvalidParams, `${name} is empty; send null to clear it`);
    }
    logger.info(value === null ? `secret ${name} cleared` : `secret ${name} received from the editor`);
    switch (name) {
      case "remote.apiKey":
        await engines.setRemoteApiKey(value ?? undefined);
        break;
    }
    return null;
  });
}
