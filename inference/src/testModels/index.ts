export * from "./copyChain.js";
export * from "./generate.js";
export * from "./shapes.js";
export { CHATML_TEMPLATE, SPECIAL_TOKENS } from "./tokenizer.js";
