import { MAX_QUERY_TERMS } from './search-query.ts';
import { SNIPPET_WORDS, type HighlightSegment } from './search-engine.ts';

/** A word: letters, combining marks and digits. Everything else separates words. */
const WORD = /[\p{L}\p{M}\p{N}]+/gu;
const MARKS = /\p{M}+/gu;
const PLAIN = /^[A-Za-z0-9]*$/;

/**
 * The form a word is indexed and searched under: lower case without diacritics, so
 * "García" and "garcia" match (Meilisearch normalises the same way for Latin scripts).
 */
export function normalizeTerm(word: string): string {
  // Most words are plain ASCII: skip the costly Unicode decomposition for them.
  if (PLAIN.test(word)) return word.toLowerCase();
  return word.normalize('NFD').replace(MARKS, '').toLowerCase();
}

/** Splits text into raw words (not normalised). */
export function tokenize(text: string): string[] {
  return text.match(WORD) ?? [];
}

/**
 * The terms a query searches for: normalised, duplicates dropped, at most
 * {@link MAX_QUERY_TERMS}. `lastIsPrefix` is false when the user has finished the
 * last word (the query ends with a space).
 */
export function queryTerms(q: string): { terms: string[]; lastIsPrefix: boolean } {
  const terms: string[] = [];
  for (const word of tokenize(q)) {
    const term = normalizeTerm(word);
    if (term && !terms.includes(term)) terms.push(term);
    if (terms.length === MAX_QUERY_TERMS) break;
  }
  return { terms, lastIsPrefix: !/\s$/.test(q) };
}

interface Token {
  start: number;
  end: number;
  match: boolean;
}

function scan(text: string, isMatch: (term: string) => boolean): Token[] {
  const tokens: Token[] = [];
  for (const found of text.matchAll(WORD)) {
    const start = found.index;
    tokens.push({ start, end: start + found[0].length, match: isMatch(normalizeTerm(found[0])) });
  }
  return tokens;
}

function segments(text: string, tokens: Token[], from: number, to: number): HighlightSegment[] {
  const out: HighlightSegment[] = [];
  const push = (piece: string, match: boolean) => {
    if (!piece) return;
    const last = out[out.length - 1];
    if (last && last.match === match) last.text += piece;
    else out.push({ text: piece, match });
  };
  let cursor = from;
  for (const token of tokens) {
    if (token.end <= from || token.start >= to) continue;
    if (!token.match) continue;
    push(text.slice(cursor, token.start), false);
    push(text.slice(token.start, token.end), true);
    cursor = token.end;
  }
  push(text.slice(cursor, to), false);
  return out;
}

/** The whole text, split into matched and unmatched segments. */
export function highlight(text: string, isMatch: (term: string) => boolean): HighlightSegment[] {
  return segments(text, scan(text, isMatch), 0, text.length);
}

/**
 * About `words` words of `text` around its densest run of matches (from the start when
 * nothing matches), split into segments; `…` marks a cut at either end.
 */
export function snippet(text: string, isMatch: (term: string) => boolean, words = SNIPPET_WORDS): HighlightSegment[] {
  const tokens = scan(text, isMatch);
  if (tokens.length <= words) return segments(text, tokens, 0, text.length);
  let best = 0;
  let bestCount = -1;
  let count = 0;
  for (let i = 0; i < tokens.length; i++) {
    if (tokens[i]!.match) count++;
    if (i >= words && tokens[i - words]!.match) count--;
    const start = i - words + 1;
    if (start >= 0 && count > bestCount) {
      bestCount = count;
      best = start;
    }
  }
  if (bestCount > 0) {
    const firstMatch = tokens.findIndex((token, i) => i >= best && token.match);
    best = Math.max(0, Math.min(firstMatch - 3, tokens.length - words));
  }
  const first = tokens[best]!;
  const last = tokens[best + words - 1]!;
  const from = best === 0 ? 0 : first.start;
  const to = best + words >= tokens.length ? text.length : last.end;
  const out = segments(text, tokens, from, to);
  if (from > 0) out.unshift({ text: '…', match: false });
  if (to < text.length) out.push({ text: '…', match: false });
  return mergeAdjacent(out);
}

function mergeAdjacent(list: HighlightSegment[]): HighlightSegment[] {
  const out: HighlightSegment[] = [];
  for (const segment of list) {
    const last = out[out.length - 1];
    if (last && last.match === segment.match) last.text += segment.text;
    else out.push({ ...segment });
  }
  return out;
}
