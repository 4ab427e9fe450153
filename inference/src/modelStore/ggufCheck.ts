/**
 * The check every model passes before the store accepts it: a GGUF header that parses, an
 * architecture the bundled llama.cpp runs, and tensor data that fits in the file (so a download
 * cut short, or an HTML error page saved as a model, is refused here, not by the native loader).
 */
import { isEngineError } from "../errors.js";
import { readGgufHeader } from "../gguf/index.js";
import { ModelStoreError } from "./modelStoreErrors.js";

export interface GgufFacts {
  architecture: string;
  tensorCount: number;
}

/** Resolves with what the header says, or rejects with `ModelStoreError` code `notGguf` saying why. */
export async function checkGgufFile(file: string, what: string): Promise<GgufFacts> {
  try {
    const header = await readGgufHeader(file);
    return { architecture: header.architecture, tensorCount: header.tensors.length };
  } catch (error) {
    if (isEngineError(error)) {
      // The reader's message names the temporary file; say what was checked instead.
      const reason = error.message.replaceAll(file, what);
      throw new ModelStoreError("notGguf", `${what} was refused: ${reason}`, { cause: error });
    }
    throw error;
  }
}
