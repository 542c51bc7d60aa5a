/**
 * How user text becomes a keyword query, the same on every store: text is words, never syntax. Quotes, `or`,
 * `-`, `*`, `:` and `NEAR` are plain characters; words are lower-cased, de-duplicated, and English stop words
 * are dropped, so "when did …" or "what did it look like" never rank a message above the one holding the rare,
 * decisive word. The remaining words are OR-ed (any word matches) and ranked by BM25 (see the adapters).
 */

/**
 * The English stop list of PostgreSQL's `english` text-search configuration (tsearch_data/english.stop, the
 * Snowball list): PostgreSQL drops exactly these words from indexed text, and both stores drop them from queries.
 */
export const STOP_WORDS: ReadonlySet<string> = new Set(
  (
    'i me my myself we our ours ourselves you your yours yourself yourselves he him his himself she her hers ' +
    'herself it its itself they them their theirs themselves what which who whom this that these those am is are ' +
    'was were be been being have has had having do does did doing a an the and but if or because as until while ' +
    'of at by for with about against between into through during before after above below to from up down in out ' +
    'on off over under again further then once here there when where why how all any both each few more most ' +
    'other some such no nor not only own same so than too very s t can will just don should now'
  ).split(' '),
);

const WORD = /[\p{L}\p{N}_]+/gu;

/** At most this many distinct words of a query take part (a pasted page must not build a huge query). */
export const MAX_QUERY_WORDS = 64;

/** The query's distinct lower-cased words, stop words removed, in order of first appearance. */
export function queryWords(text: string): string[] {
  const words: string[] = [];
  const seen = new Set<string>();
  for (const match of text.matchAll(WORD)) {
    const word = match[0].toLowerCase();
    if (seen.has(word) || STOP_WORDS.has(word)) continue;
    seen.add(word);
    words.push(word);
    if (words.length >= MAX_QUERY_WORDS) break;
  }
  return words;
}
