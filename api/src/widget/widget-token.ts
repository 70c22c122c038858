import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

/**
 * Signed, self-contained widget credentials. Two kinds, both signed with the tenant's
 * server-only `widgetTokenKey` (never the `widgetSecret` that tenants' backends hold, so a
 * leaked identity secret cannot mint sessions, and rotating it keeps visitors' ids):
 *
 * - a **visitor token** proves an anonymous visitor id; the widget keeps it in the page's
 *   localStorage, so the id is stable across reloads and tabs of that site;
 * - a **session token** (hours) is what the socket handshake presents: tenant, visitor,
 *   the verified customer (if any) and the origin it was issued to.
 *
 * Format: `sbw1.<base64url JSON>.<base64url HMAC-SHA256>`; the signature covers the kind
 * prefix and the payload, and is compared in constant time.
 */
const PREFIX = 'sbw1';

/** Claims of a visitor token. */
export interface VisitorClaims {
  kind: 'visitor';
  tenantId: string;
  visitorId: string;
  issuedAt: number;
}

/** Claims of a session token. */
export interface SessionClaims {
  kind: 'session';
  tenantId: string;
  visitorId: string;
  /** The customer whose identity the tenant's site vouched for (HMAC), else null. */
  verifiedUserId: string | null;
  /** The page origin the session was issued to (null when the request had none). */
  origin: string | null;
  /** Epoch milliseconds. */
  expiresAt: number;
}

/** Any widget token's claims. */
export type WidgetClaims = VisitorClaims | SessionClaims;

function sign(key: string, body: string): string {
  return createHmac('sha256', key).update(`${PREFIX}.${body}`).digest('base64url');
}

/** A fresh random visitor id (128 bits). */
export function newVisitorId(): string {
  return randomBytes(16).toString('base64url');
}

/** A fresh random key for signing one tenant's widget tokens. */
export function newTokenKey(): string {
  return randomBytes(32).toString('base64url');
}

/** Signs claims into a token. */
export function signWidgetToken(key: string, claims: WidgetClaims): string {
  const body = Buffer.from(JSON.stringify(claims)).toString('base64url');
  return `${PREFIX}.${body}.${sign(key, body)}`;
}

/** The tenant a token claims, read without checking the signature (to find the key). */
export function peekTenantId(token: string): string | null {
  const [prefix, body] = token.split('.');
  if (prefix !== PREFIX || !body) return null;
  try {
    const claims = JSON.parse(Buffer.from(body, 'base64url').toString('utf8')) as { tenantId?: unknown };
    return typeof claims.tenantId === 'string' ? claims.tenantId : null;
  } catch {
    return null;
  }
}

/**
 * Verifies a token's signature (constant time), kind and expiry; null for anything
 * forged, truncated, of the wrong kind or expired.
 */
export function verifyWidgetToken<K extends WidgetClaims['kind']>(
  key: string,
  token: string,
  kind: K,
  now = Date.now(),
): Extract<WidgetClaims, { kind: K }> | null {
  const parts = token.split('.');
  if (parts.length !== 3 || parts[0] !== PREFIX) return null;
  const [, body, signature] = parts as [string, string, string];
  const expected = Buffer.from(sign(key, body));
  const given = Buffer.from(signature);
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return null;
  let claims: WidgetClaims;
  try {
    claims = JSON.parse(Buffer.from(body, 'base64url').toString('utf8')) as WidgetClaims;
  } catch {
    return null;
  }
  if (claims.kind !== kind) return null;
  if (claims.kind === 'session' && !(claims.expiresAt > now)) return null;
  return claims as Extract<WidgetClaims, { kind: K }>;
}

/**
 * The identity signature a tenant's backend computes for a signed-in user:
 * HMAC-SHA256 keyed with the tenant's widget secret over the exact email string, as
 * lowercase hex (the scheme Intercom and Chatwoot use for identity verification).
 */
export function identityHmac(widgetSecret: string, email: string): string {
  return createHmac('sha256', widgetSecret).update(email, 'utf8').digest('hex');
}

/** Checks an identity signature in constant time; any malformed input is simply false. */
export function verifyIdentityHmac(widgetSecret: string, email: string, hmac: string): boolean {
  if (!/^[0-9a-f]{64}$/i.test(hmac)) return false;
  const expected = Buffer.from(identityHmac(widgetSecret, email), 'hex');
  return timingSafeEqual(expected, Buffer.from(hmac.toLowerCase(), 'hex'));
}
