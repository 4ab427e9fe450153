import { IntegrationError } from "./errors.js";

/** The IntegrationError the policy threw somewhere inside a client library's own error, if any. */
export function findIntegrationError(error: unknown): IntegrationError | undefined {
  let current: unknown = error;
  for (let depth = 0; depth < 6 && current !== null && typeof current === "object"; depth++) {
    if (current instanceof IntegrationError) return current;
    const next = current as { cause?: unknown; original?: unknown };
    current = next.cause ?? next.original;
  }
  return undefined;
}
