/**
 * A stand-in for `ModelStore.locate` over a fixed set of files, for tests of what is built on it:
 * the kind of each reference comes from the real rule (`parseModelUri`), so a bare word is a store
 * name, `hf:` a Hub file, and so on, exactly as the store would say.
 */
import { parseModelUri, referenceKind, type ModelLocation } from "@bora/inference";

/** `locate` for a store that has exactly these references (reference → file on disk). */
export function locateIn(files: Record<string, string>): ((reference: string) => Promise<ModelLocation>) & {
  asked: string[];
} {
  const asked: string[] = [];
  const locate = (reference: string): Promise<ModelLocation> => {
    asked.push(reference);
    const source = parseModelUri(reference, { cwd: "/" });
    const kind = referenceKind(source);
    // A file path given as itself is there when one of the files is that path.
    const file = files[reference] ?? Object.values(files).find((f) => f === reference);
    return Promise.resolve(
      file !== undefined
        ? { found: true, kind, path: file, name: source.name }
        : {
            found: false,
            kind,
            reference,
            downloadable: kind === "url" || kind === "huggingFace",
            name: source.name,
            ...(kind === "file" ? { path: reference } : {}),
          },
    );
  };
  return Object.assign(locate, { asked });
}
