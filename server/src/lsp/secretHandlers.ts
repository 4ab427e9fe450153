/**
 * LSP handler for `bora/setSecret`: secrets the extension keeps in the editor's secret storage.
 * Values are handed to their owner and never logged; only which secret changed is.
 */
import { SetSecret, type SecretOpener } from "@bora/protocol";
import type { Connection } from "vscode-languageserver/node";
import type { EngineManager } from "../engines/engineManager.js";
import type { Logger } from "../host/logger.js";
import type { IntegrationSecrets } from "../integrations/editorConfig.js";
import { invalidParams, onCheckedRequest } from "./params.js";

export function registerSecretHandlers(
  connection: Connection,
  engines: EngineManager,
  logger: Logger,
  opener: SecretOpener,
  integrations: IntegrationSecrets,
): void {
  onCheckedRequest(
    connection,
    SetSecret,
    async ({ name, sealed }) => {
      let value: string | null = null;
      if (sealed !== null) {
        try {
          value = opener.open(name, sealed).trim();
        } catch {
          // Sealed for another host process (one that restarted) or altered: the client seals again.
          throw invalidParams(`${name} was not sealed to this host's secretKey`);
        }
        if (value === "") throw invalidParams(`${name} is empty; send null to clear it`);
      }
      logger.info(value === null ? `secret ${name} cleared` : `secret ${name} received from the editor`);
      switch (name) {
        case "remote.apiKey":
          await engines.setRemoteApiKey(value ?? undefined);
          break;
        default:
          // The integrations read their credentials per request: the next one uses it.
          integrations.set(name, value ?? undefined);
      }
      return null;
    },
    logger,
  );
}
