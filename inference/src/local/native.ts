/**
 * The fence around node-llama-cpp: the only module that loads it, and it does so lazily with
 * `await import()`, so a host that never runs a local model never pays for the native addon. One
 * `Llama` per process and GPU setting (each `getLlama` forks a child to test the binary), always
 * from the prebuilt binaries: never a build, never a download.
 */
import type { Llama, LlamaGpuType } from "node-llama-cpp";

export type NodeLlamaCpp = typeof import("node-llama-cpp");

let modulePromise: Promise<NodeLlamaCpp> | undefined;

export function loadNodeLlamaCpp(): Promise<NodeLlamaCpp> {
  modulePromise ??= import("node-llama-cpp");
  return modulePromise;
}

/** Which backend to use. `auto` tries CUDA, Vulkan or Metal (whichever has a prebuilt binary that loads), else CPU. */
export type GpuSetting = "auto" | "cuda" | "vulkan" | "metal" | false;

export type NativeLogLevel = "error" | "warn" | "info" | "debug";
export type NativeLogListener = (level: NativeLogLevel, message: string) => void;

interface SharedLlama {
  llama: Promise<Llama>;
  listeners: Set<NativeLogListener>;
}

const shared = new Map<string, SharedLlama>();

/**
 * The process-wide `Llama` for a GPU setting. `listener` receives llama.cpp's log lines (warnings
 * and errors) until the returned `unsubscribe` is called; model loading uses it to learn why a
 * file was refused.
 */
export async function acquireLlama(
  gpu: GpuSetting,
  listener: NativeLogListener,
): Promise<{ llama: Llama; unsubscribe(): void }> {
  const key = String(gpu);
  let entry = shared.get(key);
  if (entry === undefined) {
    const listeners = new Set<NativeLogListener>();
    const created: SharedLlama = {
      listeners,
      llama: loadNodeLlamaCpp().then((nlc) =>
        nlc.getLlama({
          gpu: gpu === false ? false : (gpu as "auto" | LlamaGpuType),
          build: "never",
          skipDownload: true,
          usePrebuiltBinaries: true,
          progressLogs: false,
          logLevel: nlc.LlamaLogLevel.warn,
          logger: (level, message) => {
            const mapped = mapLevel(level);
            // Callbacks from native code must never throw back into it.
            for (const l of listeners) {
              try {
                l(mapped, message);
              } catch {
                /* a listener's failure is its own */
              }
            }
          },
        }),
      ),
    };
    shared.set(key, created);
    entry = created;
    created.llama.catch(() => shared.delete(key));
  }
  entry.listeners.add(listener);
  const { listeners } = entry;
  try {
    const llama = await entry.llama;
    return { llama, unsubscribe: () => listeners.delete(listener) };
  } catch (error) {
    listeners.delete(listener);
    throw error;
  }
}

function mapLevel(level: string): NativeLogLevel {
  switch (level) {
    case "disabled":
    case "fatal":
    case "error":
      return "error";
    case "warn":
      return "warn";
    case "info":
      return "info";
    default:
      return "debug";
  }
}

/** The backend name shown to users. */
export function backendName(gpu: LlamaGpuType): "cuda" | "vulkan" | "metal" | "cpu" {
  return gpu === false ? "cpu" : gpu;
}
