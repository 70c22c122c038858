import { z } from 'zod';

/** Anything but C0 control characters and DEL. */
// eslint-disable-next-line no-control-regex
const PRINTABLE = /^[^\u0000-\u001f\u007f]*$/;

/**
 * Free text a person types into a filter box (`?q=`): trimmed, at most `max` characters,
 * and without control characters — MongoDB refuses a pattern with an embedded NUL, and no
 * subject or name contains one, so such input is a clear 400, not a failed query.
 */
export function textQuery(max: number) {
  return z.string().trim().max(max).regex(PRINTABLE, 'must not contain control characters');
}

/** `text` with every regular-expression metacharacter escaped, to be matched literally. */
export function escapeRegex(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** A case-insensitive "contains" pattern for `text`, taken literally. */
export function containsPattern(text: string): RegExp {
  return new RegExp(escapeRegex(text), 'i');
}
