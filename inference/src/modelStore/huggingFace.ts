/**
 * What the model store knows about the Hugging Face Hub: `hf:<owner>/<repo>[@<revision>]/<file>`
 * references and the Hub URL they name, the token a gated model needs, and the checksum the Hub
 * sends with every LFS file.
 */
import { ModelUriError } from "./modelStoreErrors.js";

export const HUB_SCHEME = "hf:";

export interface HubFile {
  /** The file's download URL on the Hub (or the mirror `HF_ENDPOINT` names). */
  url: string;
  /** The file's path inside the repository, e.g. `sub/model.gguf`. */
  file: string;
}

/**
 * The Hub's base URL: `hfEndpoint` when given, else `$HF_ENDPOINT` (the variable the Hub's own tools
 * read, which also points at mirrors), else `https://huggingface.co`.
 */
export function hubEndpoint(hfEndpoint: string | undefined, env: NodeJS.ProcessEnv): string {
  return (hfEndpoint ?? env["HF_ENDPOINT"] ?? "https://huggingface.co").replace(/\/+$/, "");
}

/** Parses an `hf:` reference into the file it names; throws `ModelUriError` showing the right form. */
export function parseHubReference(uri: string, endpoint: string): HubFile {
  const match = /^([^/@\s]+)\/([^/@\s]+)(?:@([^/\s]+))?\/(.+\.gguf)$/i.exec(uri.slice(HUB_SCHEME.length));
  if (match === null) {
    throw new ModelUriError(
      `'${uri}' is not a Hugging Face reference; write hf:<owner>/<repo>/<file>.gguf (optionally hf:<owner>/<repo>@<revision>/<file>.gguf)`,
    );
  }
  const [, owner, repo, revision, file] = match as unknown as [string, string, string, string | undefined, string];
  if (file.split("/").some((part) => part === ".." || part === "." || part === "")) {
    throw new ModelUriError(`'${uri}' has an unusable file path '${file}'`);
  }
  const encodedFile = file.split("/").map(encodeURIComponent).join("/");
  const url = `${endpoint}/${encodeURIComponent(owner)}/${encodeURIComponent(repo)}/resolve/${encodeURIComponent(revision ?? "main")}/${encodedFile}`;
  return { url, file };
}

/** Headers for a download from the Hub: `$HF_TOKEN` as a bearer token when it is set. */
export function hubRequestHeaders(env: NodeJS.ProcessEnv): Record<string, string> {
  const token = env["HF_TOKEN"];
  return token !== undefined && token !== "" ? { authorization: `Bearer ${token}` } : {};
}

/** The SHA-256 of the file, from the Hub's `X-Linked-ETag` (an LFS file's ETag is its SHA-256). */
export function hubChecksum(response: Response): string | undefined {
  const linked = response.headers.get("x-linked-etag")?.replace(/^W\//, "").replaceAll('"', "");
  return linked !== undefined && /^[0-9a-f]{64}$/i.test(linked) ? linked : undefined;
}

/** Added to a refusal (401/403) from the Hub. */
export const HUB_ACCESS_HINT = "For a gated or private Hub model, set HF_TOKEN to a token with access.";
