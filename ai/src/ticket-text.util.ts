import { decodeHTML } from 'entities';

/** A ticket's text as it arrives from any channel. */
export interface TicketTextInput {
  subject?: string | null;
  body?: string | null;
}

/** Text ready for the model, or why there is nothing to classify. */
export type PreparedText = { ok: true; text: string } | { ok: false; reason: 'empty' | 'no_words' };

const BLOCK_BREAK = /<\s*(br|\/p|\/div|\/li|\/tr|\/h[1-6]|\/blockquote|hr)\b[^>]*>/gi;
const INVISIBLE_BLOCK = /<\s*(script|style|head|template)\b[^>]*>[\s\S]*?<\s*\/\s*\1\s*>/gi;
const COMMENT = /<!--[\s\S]*?-->/g;
const TAG = /<\/?[a-z][^<>]*>/gi;
const LETTER_OR_DIGIT = /[\p{L}\p{N}]/u;

/** True when the text looks like HTML (tags or entities), so plain text is never mangled. */
export function looksLikeHtml(text: string): boolean {
  return /<\/?[a-z][\s\S]*?>/i.test(text) || /&(#\d+|#x[\da-f]+|[a-z]+);/i.test(text);
}

/** Removes markup and decodes entities; block-level tags become line breaks. */
export function stripHtml(html: string): string {
  return decodeHTML(html.replace(COMMENT, ' ').replace(INVISIBLE_BLOCK, ' ').replace(BLOCK_BREAK, '\n').replace(TAG, ' '));
}

/** Collapses runs of spaces, trims lines and drops blank lines beyond one. */
export function normalizeWhitespace(text: string): string {
  return text
    .replace(/\r\n?/g, '\n')
    .replace(/[\t\f\v\u00a0\u2000-\u200b\u202f\u205f\u3000]+/g, ' ')
    .split('\n')
    .map((line) => line.replace(/ {2,}/g, ' ').trim())
    .join('\n')
    .replace(/\n{3,}/g, '\n\n')
    .trim();
}

/**
 * Joins subject and body into the text the model reads: HTML stripped, whitespace
 * normalised, the subject first on its own line (it usually names the topic). A subject
 * repeated at the start of the body is not doubled. `maxChars` bounds the work on huge
 * inputs before tokenisation (the embedder truncates by tokens afterwards).
 */
export function prepareTicketText(input: TicketTextInput, maxChars = 20_000): PreparedText {
  const clean = (value: string | null | undefined) => {
    const raw = (value ?? '').slice(0, maxChars * 4);
    return normalizeWhitespace(looksLikeHtml(raw) ? stripHtml(raw) : raw);
  };
  const subject = clean(input.subject);
  const body = clean(input.body);
  const parts = subject && body.toLowerCase().startsWith(subject.toLowerCase()) ? [body] : [subject, body];
  const text = parts.filter(Boolean).join('\n').slice(0, maxChars);
  if (!text) return { ok: false, reason: 'empty' };
  if (!LETTER_OR_DIGIT.test(text)) return { ok: false, reason: 'no_words' };
  return { ok: true, text };
}
