/**
 * The line the `0.5b-code` model writes. The random-weight `0.5b` model writes one endless word
 * (`opyopy…`), and ghost text is shown only at a word boundary, so with it nothing measures how fast
 * a completion appears. `0.5b-code` has the same shapes and quantization, so the same cost per
 * token, but its greedy decoding writes this line of code after any prompt, one piece per token,
 * and then ends its turn, as a code model finishing a line does.
 */
import { SPACE } from "./tokenizer.js";

/**
 * The line as the 32,000-token vocabulary's own pieces (`▁` is a space), each a token that occurs
 * once, since what follows a token is all this model knows: 12 tokens, about what a code model's
 * tokenizer takes for it. No line break, so that a chat prompt (which ends with one) gets the line
 * too.
 */
export const CODE_LINE_PIECES: readonly string[] = [
  "const",
  `${SPACE}result`,
  SPACE,
  "=",
  `${SPACE}await`,
  `${SPACE}this`,
  ".",
  "get",
  "(",
  "key",
  ")",
  ";",
];

/** The text of the line, as the model's tokens detokenize. */
export const CODE_LINE = CODE_LINE_PIECES.join("").replaceAll(SPACE, " ");
