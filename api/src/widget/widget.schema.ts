import { z } from 'zod';

// Kept free of server modules (the socket contract imports this file for browsers too).
const objectIdSchema = z.string().regex(/^[0-9a-f]{24}$/i, 'must be a 24-character hex id');

/** Longest chat message, in characters (a chat line, not a document). */
export const MAX_WIDGET_MESSAGE_CHARS = 5000;

/**
 * Markup that would act if someone ever rendered the text as HTML: script-like elements,
 * inline event handlers, `javascript:` URLs. Plain text mentioning `<div>` is fine; these
 * are refused outright so that nothing of such input is stored (the sanitiser would only
 * neutralise it).
 */
const ACTIVE_MARKUP =
  /<\s*\/?\s*(script|iframe|object|embed|style|link|meta|base|form|svg|math|template)\b|<[a-z][^>]*\son[a-z]+\s*=|(^|["'=(\s])javascript:\S|data:text\/html/i;

/** True when `text` carries active markup (see {@link ACTIVE_MARKUP}). */
export function containsActiveMarkup(text: string): boolean {
  return ACTIVE_MARKUP.test(text);
}

/** A chat message body from the widget: plain text, trimmed, bounded, without active markup. */
export const widgetMessageBodySchema = z
  .string()
  .trim()
  .min(1, 'empty message')
  .max(MAX_WIDGET_MESSAGE_CHARS, `at most ${MAX_WIDGET_MESSAGE_CHARS} characters`)
  .refine((text) => !containsActiveMarkup(text), 'scripts and HTML markup are not allowed in messages');

/** An idempotency key chosen by the client: a retry with the same key never adds a second message. */
export const clientKeySchema = z.string().regex(/^[A-Za-z0-9_-]{8,100}$/, '8-100 characters of A-Z, a-z, 0-9, _ or -');

/** A message sent from the widget (or a signed-in portal customer) over the socket. */
export const widgetMessageSchema = z
  .object({
    /** The conversation to continue; absent for the first message (it opens a ticket). */
    ticketId: objectIdSchema.optional(),
    body: widgetMessageBodySchema,
    clientKey: clientKeySchema,
    /** Where an anonymous visitor wants the answer when nobody is online (unverified). */
    email: z.email().max(254).optional(),
  })
  .strict();
/** Message input. */
export type WidgetMessage = z.infer<typeof widgetMessageSchema>;

/** A verified identity from the tenant's own site: email plus HMAC-SHA256(widget secret, email) in hex. */
export const widgetIdentitySchema = z
  .object({
    email: z.email().max(254),
    name: z.string().trim().min(1).max(120).optional(),
    hmac: z.string().max(128),
  })
  .strict();

/** POST /api/v1/widget/session body. */
export const widgetSessionRequestSchema = z
  .object({
    widgetKey: z.string().min(1).max(100),
    /** The visitor token this browser got before (keeps the visitor id). */
    visitorToken: z.string().max(1000).optional(),
    identity: widgetIdentitySchema.optional(),
  })
  .strict();
/** Session request. */
export type WidgetSessionRequest = z.infer<typeof widgetSessionRequestSchema>;

/** What the widget needs to draw itself and decide whether it is in offline mode. */
export const widgetConfigSchema = z.object({
  tenantName: z.string(),
  greeting: z.string(),
  primaryColor: z.string(),
  textColor: z.string(),
  timezone: z.string(),
  businessHours: z.array(z.object({ weekday: z.number(), intervals: z.array(z.object({ start: z.string(), end: z.string() })) })),
  /** Inside business hours right now (the widget re-evaluates this itself as time passes). */
  open: z.boolean(),
  nextOpenAt: z.string().nullable(),
  /** Only visitors with a verified identity may send messages. */
  requireVerifiedIdentity: z.boolean(),
});
/** Widget configuration. */
export type WidgetConfig = z.infer<typeof widgetConfigSchema>;

/** POST /api/v1/widget/session answer. */
export const widgetSessionSchema = z.object({
  /** Present on the socket handshake as `auth.widgetToken`. */
  token: z.string(),
  expiresAt: z.string(),
  /** Keep in the page's storage and send back next time (stable visitor id). */
  visitorToken: z.string(),
  visitor: z.object({ id: z.string(), verified: z.boolean(), name: z.string().nullable(), email: z.string().nullable() }),
  config: widgetConfigSchema,
});
/** Session answer. */
export type WidgetSession = z.infer<typeof widgetSessionSchema>;

/** A knowledge-base article suggested to a visitor (plain text: render as text). */
export const articleSuggestionSchema = z.object({ id: z.string(), title: z.string(), snippet: z.string(), url: z.string() });
/** Suggestion DTO. */
export type ArticleSuggestionDto = z.infer<typeof articleSuggestionSchema>;

/** POST /api/v1/tenant/widget-secret/rotate answer: the new secret, shown this once. */
export const widgetSecretSchema = z.object({ widgetSecret: z.string(), rotatedAt: z.string() });
