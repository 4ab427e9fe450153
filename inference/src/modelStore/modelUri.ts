/**
 * What a model reference names, and the store name it gets. A reference is one of:
 *
 * - `hf:<owner>/<repo>[@<revision>]/<file>.gguf`: a file on the Hugging Face Hub;
 * - an `https://` URL (plain `http://` only to this machine, for test servers);
 * - a file path: anything with a `/` or `\`, starting with `.` or `~`, ending in `.gguf`, or a
 *   `file:` URL; relative paths resolve against the working directory;
 * - a bare word (`qwen2.5-coder`): the name of a model in the store, or, when the store has none
 *   of that name, a file of that name in the working directory.
 *
 * `ModelStore.locate` turns a reference into a file on disk, or says which kind it was and that it
 * is not here.
 */
import os from "node:os";
import path from "node:path";
import { HUB_SCHEME, hubEndpoint, parseHubReference } from "./huggingFace.js";
import { ModelUriError } from "./modelStoreErrors.js";

export type ModelSource =
  | { kind: "file"; path: string; name: string }
  | {
      kind: "url";
      url: string;
      name: string;
      /** Where the URL came from, for the Hub token and its checksum header. */
      origin: "url" | "huggingface";
    }
  /** A bare word: the store's model of that name, else the file `path` (the word in the working directory). */
  | { kind: "name"; name: string; path: string };

/** What kind of reference a setting or flag held; the wording of "not here" depends on it. */
export type ModelReferenceKind = "storeName" | "file" | "url" | "huggingFace";

/** Where a reference is on disk, or which kind it was and that it is not here. */
export type ModelLocation =
  | {
      found: true;
      /** What the reference turned out to be (a bare word found as a file is a `file`). */
      kind: ModelReferenceKind;
      /** The GGUF file. */
      path: string;
      /** The store name the model has (or, for a file outside the store, would get). */
      name: string;
    }
  | {
      found: false;
      kind: ModelReferenceKind;
      /** The reference as given. */
      reference: string;
      /** True for URLs and `hf:` references: `pull` fetches them. A missing name or file cannot be downloaded. */
      downloadable: boolean;
      /** The store name it would get, or the name that is not in the store. */
      name: string;
      /** For a file (and a bare word), the absolute path that was looked for. */
      path?: string;
    };

export interface ModelUriOptions {
  /** Base URL of the Hugging Face Hub. Defaults to `$HF_ENDPOINT`, else `https://huggingface.co`. */
  hfEndpoint?: string;
  /** Environment for `HF_ENDPOINT`. Defaults to `process.env`. */
  env?: NodeJS.ProcessEnv;
  /** Directory relative paths are resolved against. Defaults to `process.cwd()`. */
  cwd?: string;
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

/** The kind of reference a parsed source is, as `locate` reports it. */
export function referenceKind(source: ModelSource): ModelReferenceKind {
  if (source.kind === "name") return "storeName";
  if (source.kind === "file") return "file";
  return source.origin === "huggingface" ? "huggingFace" : "url";
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

/** A reference that is a path by its looks, never a store name (store names carry no `.gguf`). */
function looksLikePath(uri: string): boolean {
  return /[/\\]/.test(uri) || uri.startsWith(".") || uri.startsWith("~") || /\.gguf$/i.test(uri);
}

/** `~` and `~/...` mean the home folder, as in a shell (settings are written by people). */
function expandHome(uri: string): string {
  return uri === "~" || uri.startsWith("~/") ? path.join(os.homedir(), uri.slice(1)) : uri;
}

export function parseModelUri(uri: string, options: ModelUriOptions = {}): ModelSource {
  const env = options.env ?? process.env;
  if (uri.startsWith(HUB_SCHEME)) {
    const hub = parseHubReference(uri, hubEndpoint(options.hfEndpoint, env));
    return {
      kind: "url",
      url: hub.url,
      name: checkedName(modelNameFromFile(path.posix.basename(hub.file)), uri),
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
  const file = path.resolve(options.cwd ?? process.cwd(), expandHome(uri));
  if (!looksLikePath(uri) && isValidModelName(uri)) return { kind: "name", name: uri, path: file };
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
