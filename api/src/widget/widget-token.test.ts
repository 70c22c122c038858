import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  identityHmac,
  newTokenKey,
  newVisitorId,
  peekTenantId,
  signWidgetToken,
  verifyIdentityHmac,
  verifyWidgetToken,
  type SessionClaims,
} from './widget-token.ts';

const key = newTokenKey();
const tenantId = '65f000000000000000000001';

function session(overrides: Partial<SessionClaims> = {}): SessionClaims {
  return {
    kind: 'session',
    tenantId,
    visitorId: newVisitorId(),
    verifiedUserId: null,
    origin: 'https://shop.example',
    expiresAt: Date.now() + 60_000,
    ...overrides,
  };
}

describe('widget tokens', () => {
  it('round-trip their claims and name their tenant before verification', () => {
    const claims = session();
    const token = signWidgetToken(key, claims);
    expect(token.startsWith('sbw1.')).toBe(true);
    expect(peekTenantId(token)).toBe(tenantId);
    expect(verifyWidgetToken(key, token, 'session')).toEqual(claims);
  });

  it('refuse another key, a changed payload, a changed signature and garbage', () => {
    const token = signWidgetToken(key, session());
    expect(verifyWidgetToken(newTokenKey(), token, 'session')).toBeNull();
    const [prefix, body, signature] = token.split('.') as [string, string, string];
    const forgedBody = Buffer.from(JSON.stringify({ ...session(), verifiedUserId: '65f0000000000000000000ff' })).toString('base64url');
    expect(verifyWidgetToken(key, `${prefix}.${forgedBody}.${signature}`, 'session')).toBeNull();
    const flipped = signature.slice(0, -1) + (signature.endsWith('A') ? 'B' : 'A');
    expect(verifyWidgetToken(key, `${prefix}.${body}.${flipped}`, 'session')).toBeNull();
    expect(verifyWidgetToken(key, `${prefix}.${body}`, 'session')).toBeNull();
    expect(verifyWidgetToken(key, 'not a token', 'session')).toBeNull();
    expect(peekTenantId('sbw1.%%%.x')).toBeNull();
  });

  it('refuse the wrong kind: a visitor token never opens a socket', () => {
    const visitor = signWidgetToken(key, { kind: 'visitor', tenantId, visitorId: newVisitorId(), issuedAt: Date.now() });
    expect(verifyWidgetToken(key, visitor, 'session')).toBeNull();
    expect(verifyWidgetToken(key, visitor, 'visitor')?.kind).toBe('visitor');
  });

  it('expire session tokens', () => {
    const token = signWidgetToken(key, session({ expiresAt: 1_000 }));
    expect(verifyWidgetToken(key, token, 'session', 999)).not.toBeNull();
    expect(verifyWidgetToken(key, token, 'session', 1_000)).toBeNull();
  });

  it('give every visitor a distinct 128-bit id', () => {
    const ids = new Set(Array.from({ length: 1000 }, newVisitorId));
    expect(ids.size).toBe(1000);
    expect(Buffer.from([...ids][0]!, 'base64url').length).toBe(16);
  });
});

describe('identity HMAC', () => {
  const secret = 'tenant-widget-secret';

  it('is HMAC-SHA256 of the exact email with the widget secret, in hex', () => {
    const expected = createHmac('sha256', secret).update('ada@example.com').digest('hex');
    expect(identityHmac(secret, 'ada@example.com')).toBe(expected);
    expect(verifyIdentityHmac(secret, 'ada@example.com', expected)).toBe(true);
    expect(verifyIdentityHmac(secret, 'ada@example.com', expected.toUpperCase())).toBe(true);
  });

  it('refuses another email, another secret, truncated and non-hex signatures', () => {
    const good = identityHmac(secret, 'ada@example.com');
    expect(verifyIdentityHmac(secret, 'eve@example.com', good)).toBe(false);
    expect(verifyIdentityHmac('other-secret', 'ada@example.com', good)).toBe(false);
    expect(verifyIdentityHmac(secret, 'ada@example.com', good.slice(0, 63))).toBe(false);
    expect(verifyIdentityHmac(secret, 'ada@example.com', `${good.slice(0, 63)}z`)).toBe(false);
    expect(verifyIdentityHmac(secret, 'ada@example.com', '')).toBe(false);
  });
});
