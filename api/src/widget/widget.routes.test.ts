/**
 * The widget's REST side against a real API and database: sessions from other sites
 * (CORS, origin list, wrong keys), anonymous and verified identities (forged HMACs
 * refused, nothing stored), the widget secret, and widget appearance settings.
 */
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { oid } from '../lib/ids.ts';
import { ApiHarness, expectError, randomIp, type TenantFixture } from '../testing/api-harness.ts';
import { multipartBody } from '../testing/multipart.ts';
import { widgetSessionSchema, type WidgetSession } from './widget.schema.ts';
import { identityHmac, peekTenantId } from './widget-token.ts';

const SHOP = 'https://shop.example';
let h: ApiHarness;
let tenant: TenantFixture;
let widgetKey: string;

async function tenantDoc() {
  return (await h.domain.models.Tenant.findOne({ _id: oid(tenant.id) }).lean())!;
}

function startSession(body: Record<string, unknown>, origin: string | null = SHOP) {
  return h.request(
    { ip: randomIp() },
    { method: 'POST', url: '/widget/session', body, noOrigin: origin === null, headers: origin ? { origin } : {} },
  );
}

beforeAll(async () => {
  h = await ApiHarness.start({ label: 'widget' });
  tenant = await h.signUpTenant();
  widgetKey = (await h.ok<{ widgetKey: string }>(tenant.admin, 'GET', '/tenant')).widgetKey;
});
afterAll(() => h?.close());

describe('POST /widget/session', () => {
  it('gives an anonymous visitor a session and a visitor token, readable from any site, and writes nothing', async () => {
    const before = await h.snapshot(tenant.id);
    const response = await startSession({ widgetKey });
    expect(response.statusCode, response.body).toBe(200);
    expect(response.headers['access-control-allow-origin']).toBe('*');
    const session = widgetSessionSchema.parse(response.json());
    expect(session.visitor).toMatchObject({ verified: false, name: null, email: null });
    expect(peekTenantId(session.token)).toBe(tenant.id);
    expect(session.config).toMatchObject({
      tenantName: tenant.name,
      greeting: 'Hi! How can we help?',
      primaryColor: '#4f46e5',
      requireVerifiedIdentity: false,
    });
    expect(JSON.stringify(session)).not.toContain((await tenantDoc()).widgetSecret);
    expect(await h.snapshot(tenant.id)).toBe(before);
  });

  it('keeps the visitor id when the browser brings its visitor token back', async () => {
    const first = (await startSession({ widgetKey })).json() as WidgetSession;
    const again = (await startSession({ widgetKey, visitorToken: first.visitorToken })).json() as WidgetSession;
    expect(again.visitor.id).toBe(first.visitor.id);
    expect(again.visitorToken).toBe(first.visitorToken);
    const forged = (await startSession({ widgetKey, visitorToken: `${first.visitorToken.slice(0, -2)}xx` })).json() as WidgetSession;
    expect(forged.visitor.id).not.toBe(first.visitor.id);
  });

  it('answers the CORS preflight of any site', async () => {
    const response = await h.request(
      { ip: randomIp() },
      { method: 'OPTIONS', url: '/widget/session', headers: { origin: SHOP, 'access-control-request-method': 'POST' } },
    );
    expect(response.statusCode).toBe(200);
    expect(response.headers).toMatchObject({
      'access-control-allow-origin': '*',
      'access-control-allow-methods': 'POST',
      'access-control-allow-headers': 'content-type',
    });
  });

  it('refuses a wrong or missing key with a coded error the widget can read', async () => {
    const wrong = await startSession({ widgetKey: 'wk_does-not-exist' });
    expect(wrong.headers['access-control-allow-origin']).toBe('*');
    expect(expectError(wrong, 404, 'not_found')).toMatchObject({ details: { reason: 'unknown_widget_key' } });
    const missing = await startSession({});
    expect(missing.headers['access-control-allow-origin']).toBe('*');
    expectError(missing, 400, 'validation_failed');
  });

  it('refuses sites outside the tenant’s allowed origins', async () => {
    await h.ok(tenant.admin, 'PATCH', '/tenant', { widgetAllowedOrigins: [`${SHOP}/some/path`, 'http://127.0.0.1:8080'] });
    expect((await tenantDoc()).settings.widgetAllowedOrigins).toEqual([SHOP, 'http://127.0.0.1:8080']);
    expect((await startSession({ widgetKey })).statusCode).toBe(200);
    expect((await startSession({ widgetKey }, 'http://127.0.0.1:8080')).statusCode).toBe(200);
    const evil = await startSession({ widgetKey }, 'https://evil.example');
    expect(expectError(evil, 403, 'forbidden')).toMatchObject({ details: { reason: 'origin_not_allowed' } });
    expect(expectError(await startSession({ widgetKey }, null), 403, 'forbidden').message).toContain('not allowed');
    await h.ok(tenant.admin, 'PATCH', '/tenant', { widgetAllowedOrigins: [] });
  });

  it('trusts an identity only with the right HMAC; a forged one is refused and stores nothing', async () => {
    const { widgetSecret } = await tenantDoc();
    const email = 'Ada.Customer@example.com';
    const before = await h.snapshot(tenant.id);
    for (const hmac of [identityHmac('guessed-secret', email), identityHmac(widgetSecret, 'someone-else@example.com'), 'deadbeef', '']) {
      const forged = await startSession({ widgetKey, identity: { email, name: 'Ada', hmac } });
      expect(expectError(forged, 403, 'forbidden')).toMatchObject({ details: { reason: 'identity_invalid' } });
    }
    expect(await h.snapshot(tenant.id)).toBe(before);

    const good = await startSession({ widgetKey, identity: { email, name: 'Ada', hmac: identityHmac(widgetSecret, email) } });
    expect(good.statusCode, good.body).toBe(200);
    expect((good.json() as WidgetSession).visitor).toMatchObject({ verified: true, name: 'Ada', email: 'ada.customer@example.com' });
    const person = await h.domain.models.User.findOne({ tenantId: oid(tenant.id), email: 'ada.customer@example.com' }).lean();
    expect(person?.role).toBe('customer');
  });

  it('never lets a verified identity be a staff account', async () => {
    const agent = await h.createPerson(tenant, 'agent', { signIn: false });
    const { widgetSecret } = await tenantDoc();
    const response = await startSession({ widgetKey, identity: { email: agent.email, hmac: identityHmac(widgetSecret, agent.email) } });
    expect(expectError(response, 403, 'forbidden')).toMatchObject({ details: { reason: 'identity_is_staff' } });
  });
});

describe('POST /tenant/widget-secret/rotate', () => {
  it('shows a new secret once to admins; identities signed with the old one stop working', async () => {
    const email = 'rotation@example.com';
    const old = (await tenantDoc()).widgetSecret;
    const manager = await h.createPerson(tenant, 'manager');
    expectError(await h.request(manager.auth, { method: 'POST', url: '/tenant/widget-secret/rotate' }), 403, 'forbidden');
    const { widgetSecret } = await h.ok<{ widgetSecret: string; rotatedAt: string }>(tenant.admin, 'POST', '/tenant/widget-secret/rotate');
    expect(widgetSecret).not.toBe(old);
    expect(widgetSecret.length).toBeGreaterThanOrEqual(40);
    expectError(await startSession({ widgetKey, identity: { email, hmac: identityHmac(old, email) } }), 403, 'forbidden');
    expect((await startSession({ widgetKey, identity: { email, hmac: identityHmac(widgetSecret, email) } })).statusCode).toBe(200);
    const tenantDto = await h.ok<Record<string, unknown>>(tenant.admin, 'GET', '/tenant');
    expect(JSON.stringify(tenantDto)).not.toContain(widgetSecret);
    const audit = await h.ok<{ items: Array<{ action: string }> }>(tenant.admin, 'GET', '/audit?action=tenant.widget_secret_rotated');
    expect(audit.items).toHaveLength(1);
  });
});

describe('widget appearance settings', () => {
  it('are admin settings shown to the widget; colours must be #rrggbb', async () => {
    const patched = await h.ok<{ settings: Record<string, unknown> }>(tenant.admin, 'PATCH', '/tenant', {
      widgetPrimaryColor: '#0f766e',
      widgetTextColor: '#fefefe',
      widgetGreeting: 'Hello from the shop!',
    });
    expect(patched.settings).toMatchObject({
      widgetPrimaryColor: '#0f766e',
      widgetTextColor: '#fefefe',
      widgetGreeting: 'Hello from the shop!',
    });
    const session = (await startSession({ widgetKey })).json() as WidgetSession;
    expect(session.config).toMatchObject({ primaryColor: '#0f766e', textColor: '#fefefe', greeting: 'Hello from the shop!' });
    for (const bad of ['red', '#fff', '#0f766e; background:url(x)', 'url(javascript:alert(1))']) {
      expectError(
        await h.request(tenant.admin.auth, { method: 'PATCH', url: '/tenant', body: { widgetPrimaryColor: bad } }),
        400,
        'validation_failed',
      );
    }
    expectError(
      await h.request(tenant.admin.auth, { method: 'PATCH', url: '/tenant', body: { widgetAllowedOrigins: ['javascript:alert(1)'] } }),
      400,
      'validation_failed',
    );
  });
});

describe('knowledge-base suggestions for the widget', () => {
  it('offers published public articles only, links them to the portal, and records whether one helped', async () => {
    const article = (title: string, visibility: 'public' | 'internal') =>
      h.ok<{ id: string }>(tenant.admin, 'POST', '/kb/articles', {
        title,
        body: `${title}: parcels to Norway take five working days.`,
        format: 'text',
        visibility,
      });
    const [published, internal, draft] = await Promise.all([
      article('Shipping to Norway', 'public'),
      article('Norway carrier escalation', 'internal'),
      article('Norway draft', 'public'),
    ]);
    await h.ok(tenant.admin, 'POST', `/kb/articles/${published.id}/publish`, {});
    await h.ok(tenant.admin, 'POST', `/kb/articles/${internal.id}/publish`, {});
    await h.index(tenant.id);

    const items = await h.domain.widget.suggest(oid(tenant.id), 'norway parcels');
    expect(items.map((i) => i.id)).toEqual([published.id]);
    expect(items[0]).toMatchObject({
      title: 'Shipping to Norway',
      url: expect.stringMatching(new RegExp(`/t/${tenant.slug}/kb/${published.id}$`)),
    });
    expect(items[0]!.snippet).toContain('Norway');
    // The widget asks the API (which holds the search engine) from the tenant's site.
    const { token } = (await startSession({ widgetKey })).json() as WidgetSession;
    const asked = await h.request(
      { ip: randomIp() },
      { method: 'GET', url: '/widget/suggestions?q=norway%20parcels', headers: { origin: SHOP, 'x-widget-token': token } },
    );
    expect(asked.statusCode, asked.body).toBe(200);
    expect(asked.headers['access-control-allow-origin']).toBe('*');
    expect((asked.json() as { items: Array<{ id: string }> }).items.map((i) => i.id)).toEqual([published.id]);
    expectError(
      await h.request({ ip: randomIp() }, { method: 'GET', url: '/widget/suggestions?q=norway', headers: { origin: SHOP } }),
      401,
      'unauthenticated',
    );

    const sender = { tenantId: oid(tenant.id), visitorId: 'visitor-feedback', verified: false, userId: null };
    await h.domain.widget.recordFeedback(sender, { articleId: published.id, helped: true, query: 'norway parcels' });
    for (const articleId of [internal.id, draft.id, 'not-an-article']) {
      await expect(h.domain.widget.recordFeedback(sender, { articleId, helped: false, query: 'norway' })).rejects.toMatchObject({
        code: 'validation_failed',
      });
    }
    const stored = await h.domain.models.KbFeedback.find({ tenantId: oid(tenant.id) }).lean();
    expect(stored.map((f) => ({ articleId: f.articleId, helped: f.helped, query: f.query, visitorId: f.visitorId }))).toEqual([
      { articleId: published.id, helped: true, query: 'norway parcels', visitorId: 'visitor-feedback' },
    ]);
  });
});

describe('images in the widget conversation', () => {
  async function visitorWithTicket() {
    const session = (await startSession({ widgetKey })).json() as WidgetSession;
    const principal = await h.domain.widget.authenticate(session.token, SHOP);
    const sent = await h.domain.widget.send(
      { tenantId: principal.tenantId, visitorId: principal.visitorId, verified: false, userId: null },
      { body: 'Here is what I see', clientKey: `upload-${session.visitor.id.slice(0, 12)}` },
    );
    return { token: session.token, ticketId: sent.ticketId };
  }

  function upload(token: string, ticketId: string, files: Parameters<typeof multipartBody>[0], origin = SHOP) {
    const { payload, headers } = multipartBody(files);
    return h.request(
      { ip: randomIp() },
      {
        method: 'POST',
        url: `/widget/attachments?ticketId=${ticketId}`,
        payload,
        headers: { ...headers, origin, 'x-widget-token': token },
      },
    );
  }

  it('stores a photo with a thumbnail; the widget shows it from another site with its token, nobody else can', async () => {
    const { token, ticketId } = await visitorWithTicket();
    const photo = await sharp({ create: { width: 800, height: 600, channels: 3, background: '#3b82f6' } })
      .png()
      .toBuffer();
    const response = await upload(token, ticketId, [{ filename: 'screenshot.png', content: photo, contentType: 'image/png' }]);
    expect(response.statusCode, response.body).toBe(201);
    expect(response.headers['access-control-allow-origin']).toBe('*');
    const entry = response.json() as { id: string; attachments: Array<{ id: string; contentType: string }> };
    expect(entry.attachments).toHaveLength(1);
    const id = entry.attachments[0]!.id;

    const thumbnail = await h.request(null, {
      method: 'GET',
      url: `/widget/attachments/${id}/thumbnail?token=${encodeURIComponent(token)}`,
    });
    expect(thumbnail.statusCode).toBe(200);
    expect(thumbnail.headers['content-type']).toBe('image/webp');
    expect(thumbnail.headers['cross-origin-resource-policy']).toBe('cross-origin');
    const { width, height } = await sharp(thumbnail.rawPayload).metadata();
    expect(Math.max(width!, height!)).toBeLessThanOrEqual(320);
    expect((await h.request(null, { method: 'GET', url: `/widget/attachments/${id}?token=${encodeURIComponent(token)}` })).statusCode).toBe(
      200,
    );

    const stranger = (await startSession({ widgetKey })).json() as WidgetSession;
    expectError(
      await h.request(null, { method: 'GET', url: `/widget/attachments/${id}/thumbnail?token=${encodeURIComponent(stranger.token)}` }),
      404,
      'not_found',
    );
    expectError(await h.request(null, { method: 'GET', url: `/widget/attachments/${id}/thumbnail?token=forged` }), 401, 'unauthenticated');
  });

  it('refuses non-images, oversized images, forged tokens and foreign tickets, storing nothing', async () => {
    const { token, ticketId } = await visitorWithTicket();
    const other = await visitorWithTicket();
    const before = await h.snapshot(tenant.id);
    const pdf = Buffer.from('%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n');
    expect(
      expectError(
        await upload(token, ticketId, [{ filename: 'invoice.png', content: pdf, contentType: 'image/png' }]),
        415,
        'unsupported_media_type',
      ).message,
    ).toContain('Only images');
    const script = Buffer.from('<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"></svg>');
    expectError(
      await upload(token, ticketId, [{ filename: 'x.svg', content: script, contentType: 'image/svg+xml' }]),
      415,
      'unsupported_media_type',
    );
    const huge = Buffer.concat([
      await sharp({ create: { width: 8, height: 8, channels: 3, background: '#000' } })
        .png()
        .toBuffer(),
      Buffer.alloc(10 * 1024 * 1024 + 10),
    ]);
    expectError(
      await upload(token, ticketId, [{ filename: 'huge.png', content: huge, contentType: 'image/png' }]),
      413,
      'payload_too_large',
    );
    const png = await sharp({ create: { width: 8, height: 8, channels: 3, background: '#000' } })
      .png()
      .toBuffer();
    expectError(await upload('sbw1.forged.token', ticketId, [{ filename: 'a.png', content: png }]), 401, 'unauthenticated');
    expectError(await upload(token, ticketId, [{ filename: 'a.png', content: png }], 'https://evil.example'), 403, 'forbidden');
    expectError(await upload(token, other.ticketId, [{ filename: 'a.png', content: png }]), 404, 'not_found');
    expect(await h.snapshot(tenant.id)).toBe(before);
  });

  it('answers the upload preflight for any site', async () => {
    const response = await h.request(
      { ip: randomIp() },
      { method: 'OPTIONS', url: '/widget/attachments', headers: { origin: SHOP, 'access-control-request-method': 'POST' } },
    );
    expect(response.statusCode).toBe(200);
    expect(response.headers).toMatchObject({ 'access-control-allow-origin': '*', 'access-control-allow-headers': 'x-widget-token' });
  });
});
