// A boundary after sentence-ending punctuation, or any line break.
const SENTENCE_BOUNDARY = /(?<=[.!?…。！？])\s+|\s*\n\s*/u;

/**
 * Splits `text` into chunks of at most `maxChars` characters, cutting at sentence boundaries
 * and line breaks first, then at whitespace, and inside a word only when one word alone is
 * longer than `maxChars`, and then between code points, never inside a surrogate pair (an emoji, a rare CJK
 * character). Lengths are UTF-16 code units, as `String.length`. A text that fits is returned as it is.
 */
export function chunkText(text: string, maxChars: number): string[] {
  if (text.length <= maxChars) return [text];
  const pieces: string[] = [];
  for (const sentence of text.split(SENTENCE_BOUNDARY)) {
    const trimmed = sentence.trim();
    if (trimmed === '') continue;
    if (trimmed.length <= maxChars) {
      pieces.push(trimmed);
      continue;
    }
    for (const word of trimmed.split(/\s+/)) pieces.push(...splitWord(word, maxChars));
  }
  const chunks = pack(pieces, maxChars);
  // Nothing but whitespace: still one (empty) text, so the caller gets one vector.
  return chunks.length > 0 ? chunks : [''];
}

/** Greedily joins consecutive pieces with a space while the result fits. */
function pack(pieces: string[], maxChars: number): string[] {
  const chunks: string[] = [];
  let current = '';
  for (const piece of pieces) {
    if (current === '') current = piece;
    else if (current.length + 1 + piece.length <= maxChars) current = `${current} ${piece}`;
    else {
      chunks.push(current);
      current = piece;
    }
  }
  if (current !== '') chunks.push(current);
  return chunks;
}

/** `word` in pieces of at most `maxChars` code units, each cut between code points. */
function splitWord(word: string, maxChars: number): string[] {
  if (word.length <= maxChars) return [word];
  const pieces: string[] = [];
  let current = '';
  for (const codePoint of word) {
    if (current.length + codePoint.length > maxChars && current !== '') {
      pieces.push(current);
      current = '';
    }
    current += codePoint;
  }
  if (current !== '') pieces.push(current);
  return pieces;
}
