export { LocalEngine, type LocalEngineStatus } from "./LocalEngine.js";
export { defaultThreads, type LocalEngineOptions } from "./settings.js";
export type { GpuSetting } from "./native.js";
export { GbnfBuilder, UnsupportedSchemaError, type GrammarLimits } from "./jsonSchemaGrammar.js";
export { toolCallGrammar } from "./toolCalls.js";
