/** `bora models pull <uri>`: downloads (or copies) a model into the store, with progress and resume. */
import { parseArgs } from "node:util";
import { ModelStore, ModelUriError, isModelStoreError } from "@bora/inference";
import { modelDownloadFetch } from "../../../http/fetches.js";
import { UsageError } from "../../command.js";
import { cliHttpPolicy } from "../../httpPolicy.js";
import type { ModelsSubcommand } from "../models.js";
import { progressRenderer } from "./progressRenderer.js";

export const pullSubcommand: ModelsSubcommand = {
  name: "pull",
  summary: "Download a model into the model store (resumes an interrupted pull)",
  usage: `bora models pull <uri> [--sha256 HEX] [--name NAME] [--force]

Fetches a GGUF model into the store ($BORA_MODELS_DIR, else ~/.cache/bora/models). <uri> is a
local path (copied in), an https:// URL, or hf:<owner>/<repo>/<file>.gguf (optionally
hf:<owner>/<repo>@<revision>/<file>.gguf) on the Hugging Face Hub ($HF_ENDPOINT overrides the
Hub's address; $HF_TOKEN is sent for gated models). A bare name is a model already in the store.
An interrupted pull resumes where it stopped when run again. The file is checked (SHA-256 when
known, GGUF header always) before it appears. Each HTTP request is logged on stderr as an audit line.

Options:
  --sha256 HEX  Expected SHA-256. Defaults to the Hub's checksum for hf: models, else none
  --name NAME   Store name. Defaults to the file name without .gguf
  --force       Download again even if the store has it`,
  async run(args, io) {
    const { values, positionals } = parseArgs({
      args,
      strict: true,
      allowPositionals: true,
      options: { sha256: { type: "string" }, name: { type: "string" }, force: { type: "boolean" } },
    });
    const [uri, extra] = positionals;
    if (uri === undefined)
      throw new UsageError("which model? give a path, an https:// URL or hf:<owner>/<repo>/<file>.gguf");
    if (extra !== undefined) throw new UsageError(`unexpected argument '${extra}'; pull one model at a time`);
    if (values.sha256 !== undefined && !/^[0-9a-f]{64}$/i.test(values.sha256)) {
      throw new UsageError("--sha256 needs 64 hex digits");
    }
    const fetch = modelDownloadFetch(cliHttpPolicy(io.stderr));
    const store = new ModelStore({ env: io.env, uri: { cwd: io.cwd }, fetch });
    const abort = new AbortController();
    const onSignal = (): void => abort.abort();
    process.once("SIGINT", onSignal);
    process.once("SIGTERM", onSignal);
    try {
      const result = await store.pull(uri, {
        ...(values.sha256 !== undefined ? { sha256: values.sha256 } : {}),
        ...(values.name !== undefined ? { name: values.name } : {}),
        ...(values.force ? { force: true } : {}),
        signal: abort.signal,
        onProgress: progressRenderer(io.stderr),
      });
      const { model } = result;
      if (result.alreadyPresent) io.stderr.write(`${model.name} is already in the store\n`);
      else if (result.resumedFromBytes > 0) io.stderr.write(`resumed from ${result.resumedFromBytes} bytes\n`);
      io.stdout.write(`${model.name}\t${model.path}\tsha256:${model.sha256}\n`);
      return 0;
    } catch (error) {
      if (error instanceof ModelUriError) throw new UsageError(error.message);
      if (isModelStoreError(error)) {
        io.stderr.write(`bora models pull: ${error.message}\n`);
        return error.code === "aborted" ? 130 : 1;
      }
      throw error;
    } finally {
      process.off("SIGINT", onSignal);
      process.off("SIGTERM", onSignal);
    }
  },
};
