export * from "./copyChain.js";
export * from "./generate.js";
export * from "./shapes.js";
export { CHAR_PIECES, CHATML_TEMPLATE, SPECIAL_TOKENS, buildVocabulary, type Vocabulary } from "./tokenizer.js";
export * from "./codeLine.js";
