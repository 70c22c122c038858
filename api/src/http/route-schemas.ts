import { z } from 'zod';
import { errorCodes } from '../lib/errors.ts';
import { objectIdSchema } from '../lib/ids.ts';

/** The error body, as documented on every route. */
export const errorSchema = z.object({
  error: z.object({
    code: z.enum(Object.keys(errorCodes) as [keyof typeof errorCodes, ...Array<keyof typeof errorCodes>]),
    message: z.string(),
    details: z.unknown().optional(),
    request_id: z.string(),
  }),
});

/**
 * Error responses every authenticated route may give. 413 and 415 belong here too: the body
 * limit (API_BODY_LIMIT_BYTES) and the content-type check run before any route's own
 * validation, so a body whose fields are each within their documented `maxLength` can still
 * exceed the limit once encoded (four-byte characters, `\u0000` escapes).
 */
export const errorResponses = {
  400: errorSchema,
  401: errorSchema,
  403: errorSchema,
  404: errorSchema,
  409: errorSchema,
  413: errorSchema,
  415: errorSchema,
  429: errorSchema,
  431: errorSchema,
} as const;

/** `:id` path parameter. */
export const idParams = z.object({ id: objectIdSchema }).strict();

/** A list page. */
export function page<T extends z.ZodType>(item: T) {
  return z.object({ items: z.array(item), nextCursor: z.string().nullable() });
}

/** `{ ok: true }` for operations without a body to return. */
export const okSchema = z.object({ ok: z.literal(true) });
