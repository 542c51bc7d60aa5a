import { type PathMention, pathMentionPattern } from '../../domain/search.model.js';

/** Snippets are about this long: enough to recognise a hit, short enough to list many. */
export const SNIPPET_CHARS = 160;

/** `width` characters of `content` centred on [start, end), whitespace collapsed, `…` where cut. */
export function snippetAt(content: string, start: number, end: number, width = SNIPPET_CHARS): string {
  const room = Math.max(0, width - (end - start));
  let from = Math.max(0, start - Math.floor(room / 2));
  const to = Math.min(content.length, Math.max(end, from + width));
  from = Math.max(0, Math.min(from, to - width));
  const text = content.slice(from, to).replace(/\s+/gu, ' ').trim();
  return `${from > 0 ? '…' : ''}${text}${to < content.length ? '…' : ''}`;
}

const WORD = /[\p{L}\p{N}_]{2,}/gu;

/** The text around the first word of the query found in `content` (the start when none is: a semantic hit). */
export function snippetFor(content: string, query: string, width = SNIPPET_CHARS): string {
  const words = [...new Set(query.match(WORD) ?? [])].sort((a, b) => b.length - a.length);
  if (words.length === 0) return snippetAt(content, 0, 0, width);
  const found = new RegExp(words.map((w) => w.replace(/[\\^$.|?*+()[\]{}]/g, '\\$&')).join('|'), 'iu').exec(content);
  return found
    ? snippetAt(content, found.index, found.index + found[0].length, width)
    : snippetAt(content, 0, 0, width);
}

/** Characters a path token is made of, for widening a mention to the whole path written around it. */
const PATH_CHAR = /[\p{L}\p{N}_.~@+%/\\-]/u;

/**
 * Where `content` mentions `path` (the rule of pathMentionPattern, the same one the stores apply): the whole
 * path written there, a snippet around it and how many mentions there are. Undefined when there is none.
 */
export function findPathMention(content: string, path: string): PathMention | undefined {
  const matches = [...content.matchAll(new RegExp(pathMentionPattern(path), 'g'))];
  const first = matches[0];
  if (first === undefined) return undefined;
  const start = first.index;
  const end = start + first[0].length;
  let from = start;
  while (from > 0 && PATH_CHAR.test(content.charAt(from - 1))) from--;
  let to = end;
  while (to < content.length && PATH_CHAR.test(content.charAt(to))) to++;
  // A sentence may end right after the path: its full stop is not part of it.
  while (to > end && content.charAt(to - 1) === '.') to--;
  return { matchedPath: content.slice(from, to), snippet: snippetAt(content, from, to), mentions: matches.length };
}
