/**
 * Synthetic SentencePiece ("llama") vocabularies for generated models. llama.cpp's SPM tokenizer
 * starts from single characters and merges adjacent pieces into the highest-scoring piece in the
 * vocabulary, so every prefix of a multi-character piece must be in it too; the 256 byte tokens
 * give byte fallback, so any text (emoji included) tokenizes and round-trips exactly.
 */

/** llama.cpp token types. */
export const TOKEN_TYPE = { normal: 1, unknown: 2, control: 3, userDefined: 4, unused: 5, byte: 6 } as const;

/** The control tokens every generated model has, at these ids. */
export const SPECIAL_TOKENS = {
  unknown: { id: 0, text: "<unk>" },
  bos: { id: 1, text: "<s>" },
  eos: { id: 2, text: "</s>" },
  imStart: { id: 3, text: "<|im_start|>" },
  imEnd: { id: 4, text: "<|im_end|>" },
  fimPrefix: { id: 5, text: "<|fim_prefix|>" },
  fimSuffix: { id: 6, text: "<|fim_suffix|>" },
  fimMiddle: { id: 7, text: "<|fim_middle|>" },
  fimPad: { id: 8, text: "<|fim_pad|>" },
} as const;

/** SentencePiece writes a space as U+2581. */
export const SPACE = "\u2581";

/** Where the single-character pieces start: after the control tokens and the 256 byte tokens. */
export const FIRST_CHAR_ID = Object.keys(SPECIAL_TOKENS).length + 256;

/** Single characters with their own piece: space, newline, tab and printable ASCII. */
export const CHAR_PIECES: readonly string[] = [
  SPACE,
  "\n",
  "\t",
  ...Array.from({ length: 0x7e - 0x21 + 1 }, (_, i) => String.fromCharCode(0x21 + i)),
];

/**
 * Words the merged vocabularies learn first, so that code and English text take a realistic number
 * of tokens (a few characters each) rather than one per character.
 */
const WORDS = (
  "the function return const let var if else for while import export from class def self print int " +
  "string true false null undefined async await new this public private static void type interface and " +
  "or not is in of to that it with as on be are was add sum value name data error test file path line " +
  "code fix bug user list map get set length index result console log main hello world number object " +
  "array key item count start end read write open close update delete create true None elif lambda try " +
  "catch throw finally yield break continue switch case default struct impl pub fn mut use mod match " +
  "self super package go func err nil range make"
).split(" ");
const SYMBOLS = ["()", "{}", "[]", "=>", "==", "===", "!=", "//", "/*", "*/", "->", "::", "();", "});", ");"];
const INDENTS = [SPACE.repeat(2), SPACE.repeat(4), SPACE.repeat(8), "\n" + SPACE.repeat(4), "\n\n"];

export interface Vocabulary {
  tokens: string[];
  scores: number[];
  types: number[];
}

/**
 * Builds a vocabulary. `size` is the number of tokens; with `merges: false` it has only the control
 * tokens, the byte tokens and single characters, so that any ASCII text tokenizes one token per
 * character (what the copy models need), and then unused tokens (`<unused0>`…, as real
 * vocabularies reserve them) up to `size`, which no text ever tokenizes to. `userDefined` pieces are appended after `size` as
 * user-defined tokens: llama.cpp matches them whole in any text and writes them out as text, the
 * way real vocabularies carry `<tool_call>`.
 */
export function buildVocabulary(options: {
  size: number;
  merges: boolean;
  userDefined?: readonly string[];
}): Vocabulary {
  const tokens: string[] = [];
  const types: number[] = [];
  for (const special of Object.values(SPECIAL_TOKENS)) {
    tokens.push(special.text);
    types.push(special.id === SPECIAL_TOKENS.unknown.id ? TOKEN_TYPE.unknown : TOKEN_TYPE.control);
  }
  for (let b = 0; b < 256; b++) {
    tokens.push(`<0x${b.toString(16).toUpperCase().padStart(2, "0")}>`);
    types.push(TOKEN_TYPE.byte);
  }
  const seen = new Set<string>(tokens);
  const add = (piece: string): boolean => {
    if (tokens.length >= options.size) return false;
    if (!seen.has(piece)) {
      seen.add(piece);
      tokens.push(piece);
      types.push(TOKEN_TYPE.normal);
    }
    return true;
  };
  for (const c of CHAR_PIECES) add(c);
  if (tokens.length > options.size) throw new RangeError(`a vocabulary needs at least ${tokens.length} tokens`);

  if (options.merges) {
    // Adding every prefix before the piece itself keeps the vocabulary prefix-closed wherever it is cut.
    const addWithPrefixes = (piece: string): boolean => {
      const chars = [...piece];
      for (let n = 2; n <= chars.length; n++) if (!add(chars.slice(0, n).join(""))) return false;
      return true;
    };
    const pieces = [...INDENTS, ...SYMBOLS, ...WORDS.flatMap((w) => [SPACE + w, w])];
    for (const piece of pieces) if (!addWithPrefixes(piece)) break;
    // Fill a large vocabulary with every letter string by length (prefix-closed by construction).
    const letters = [SPACE, ..."abcdefghijklmnopqrstuvwxyz"];
    let layer = [...letters];
    while (tokens.length < options.size) {
      const next: string[] = [];
      for (const stem of layer) {
        for (const letter of letters.slice(1)) {
          next.push(stem + letter);
          if (!add(stem + letter)) break;
        }
        if (tokens.length >= options.size) break;
      }
      layer = next;
    }
  } else {
    for (let i = 0; tokens.length < options.size; i++) {
      tokens.push(`<unused${i}>`);
      types.push(TOKEN_TYPE.unused);
    }
  }
  for (const piece of options.userDefined ?? []) {
    if (seen.has(piece) || [...piece].length < 2)
      throw new RangeError(
        `a user-defined token must be new and longer than one character, got ${JSON.stringify(piece)}`,
      );
    seen.add(piece);
    tokens.push(piece);
    types.push(TOKEN_TYPE.userDefined);
  }
  // Earlier pieces score higher, so shorter and more common pieces win ties in SPM merges.
  const scores = tokens.map((_, id) => (types[id] === TOKEN_TYPE.normal ? -id : 0));
  return { tokens, scores, types };
}

/** ChatML, the template llama.cpp and node-llama-cpp recognise as `chatml`. */
export const CHATML_TEMPLATE =
  "{% for message in messages %}{{ '<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n' }}" +
  "{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}";
