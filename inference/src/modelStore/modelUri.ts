/**
 * What a model reference names: a file on disk, an HTTPS (or, for loopback test servers, HTTP)
 * URL, or `hf:<owner>/<repo>/<file>` on the Hugging Face Hub, and the store name it gets.
 */
import path from "node:path";
import { CodedError } from "../errors.js";

export type ModelSource =
  | { kind: "file"; path: string; name: string }
  | {
      kind: "url";
      url: string;
      name: string;
      /** Where the URL came from, for the Hub token and its checksum header. */
      origin: "url" | "huggingface";
    };

export interface ModelUriOptions {
  /**
   * Base URL of the Hugging Face Hub. Defaults to `$HF_ENDPOINT` (the variable the Hub's own tools
   * read, which also points at mirrors), else `https://huggingface.co`.
   */
  hfEndpoint?: string;
  /** Environment for `HF_ENDPOINT`. Defaults to `process.env`. */
  env?: NodeJS.ProcessEnv;
  /** Directory relative paths are resolved against. Defaults to `process.cwd()`. */
  cwd?: string;
}

/** A usage mistake in a model reference; the message says what a valid one looks like. */
export class ModelUriError extends CodedError<"invalidReference"> {
  override readonly name: string = "ModelUriError";
  constructor(message: string) {
    super("invalidReference", message);
  }
}

const NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._+-]*$/;

/** Store names are file names: letters, digits, `.`, `_`, `+`, `-`, not starting with a dot. */
export function isValidModelName(name: string): boolean {
  return NAME_PATTERN.test(name) && !name.includes("..") && name.length <= 200;
}

/** The store name for a file name: without its `.gguf` extension. */
export function modelNameFromFile(fileName: string): string {
  return fileName.replace(/\.gguf$/i, "");
}

function checkedName(name: string, uri: string): string {
  if (!isValidModelName(name)) {
    throw new ModelUriError(
      `cannot make a model name from '${uri}' (got '${name}'); give one with --name using letters, digits, '.', '_', '-'`,
    );
  }
  return name;
}

function isLoopbackHost(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, "").toLowerCase();
  return h === "localhost" || h === "::1" || /^127\./.test(h);
}

export function parseModelUri(uri: string, options: ModelUriOptions = {}): ModelSource {
  const env = options.env ?? process.env;
  if (uri.startsWith("hf:")) {
    const rest = uri.slice(3);
    const match = /^([^/@\s]+)\/([^/@\s]+)(?:@([^/\s]+))?\/(.+\.gguf)$/i.exec(rest);
    if (match === null) {
      throw new ModelUriError(
        `'${uri}' is not a Hugging Face reference; write hf:<owner>/<repo>/<file>.gguf (optionally hf:<owner>/<repo>@<revision>/<file>.gguf)`,
      );
    }
    const [, owner, repo, revision, file] = match as unknown as [string, string, string, string | undefined, string];
    if (file.split("/").some((part) => part === ".." || part === "." || part === "")) {
      throw new ModelUriError(`'${uri}' has an unusable file path '${file}'`);
    }
    const endpoint = (options.hfEndpoint ?? env["HF_ENDPOINT"] ?? "https://huggingface.co").replace(/\/+$/, "");
    const encodedFile = file.split("/").map(encodeURIComponent).join("/");
    const url = `${endpoint}/${encodeURIComponent(owner)}/${encodeURIComponent(repo)}/resolve/${encodeURIComponent(revision ?? "main")}/${encodedFile}`;
    return {
      kind: "url",
      url,
      name: checkedName(modelNameFromFile(path.posix.basename(file)), uri),
      origin: "huggingface",
    };
  }
  if (uri.startsWith("file:")) {
    const file = decodeURIComponent(new URL(uri).pathname);
    return { kind: "file", path: file, name: checkedName(modelNameFromFile(path.basename(file)), uri) };
  }
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(uri)) {
    let parsed: URL;
    try {
      parsed = new URL(uri);
    } catch {
      throw new ModelUriError(`'${uri}' is not a valid URL`);
    }
    // Plain HTTP only to this machine: a model fetched over the network must not be swappable in transit.
    if (parsed.protocol !== "https:" && !(parsed.protocol === "http:" && isLoopbackHost(parsed.hostname))) {
      throw new ModelUriError(`'${uri}': models are downloaded over https:// (plain http only from localhost)`);
    }
    const file = decodeURIComponent(path.posix.basename(parsed.pathname));
    return { kind: "url", url: parsed.href, name: checkedName(modelNameFromFile(file), uri), origin: "url" };
  }
  const file = path.resolve(options.cwd ?? process.cwd(), uri);
  return { kind: "file", path: file, name: checkedName(modelNameFromFile(path.basename(file)), uri) };
}

/** The URL without credentials or query (signed URLs carry secrets there), for metadata and messages. */
export function displayUrl(url: string): string {
  try {
    const parsed = new URL(url);
    return `${parsed.protocol}//${parsed.host}${parsed.pathname}`;
  } catch {
    return "(unreadable URL)";
  }
}
