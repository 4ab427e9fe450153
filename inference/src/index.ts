export * from "./engine.js";
export * from "./errors.js";
export * from "./scriptedEngine.js";
export * from "./remote/index.js";
export * from "./gguf/index.js";
export * from "./testModels/index.js";
export * from "./local/index.js";
export * from "./modelStore/index.js";
