/**
 * The chat widget's side of the hub, over real sockets against a real domain: widget-token
 * handshakes (origin list, forged and stale tokens), messages both ways with typing and read
 * receipts, idempotent retries, and bad input refused with coded errors and nothing stored.
 */
import { identityHmac } from '@switchboard/api/widget/widget-token';
import { oid } from '@switchboard/api/lib/ids';
import { createLogger } from '@switchboard/api/lib/logger';
import { testMongoUri, testRedisUrl } from '@switchboard/api/testing/services';
import { io as connect } from 'socket.io-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHub, type Hub } from './hub.ts';
import type { Ack, ClientAckData, DomainEvent } from './protocol.ts';
import {
  connectClient,
  connected,
  createTenant,
  freePort,
  request,
  startDomain,
  waitFor,
  type HubClient,
  type TenantFixture,
} from './testing/hub-fixtures.ts';

const SHOP = 'https://shop.example';
const MESSAGES_PER_MINUTE = 8;

let env: Awaited<ReturnType<typeof startDomain>>;
let hub: Hub;
const clients: HubClient[] = [];

beforeAll(async () => {
  env = await startDomain(testMongoUri('hubwidget'), testRedisUrl());
  hub = await startHub({
    env: { REDIS_URL: testRedisUrl(), HUB_PORT: await freePort(), HUB_ENGINE: 'uws', HUB_PRESENCE_TTL_MS: 20_000, HUB_HEARTBEAT_MS: 5_000 },
    logger: createLogger({ level: 'silent' }),
    domain: env.domain,
    allowedHosts: ['127.0.0.1:3999'],
    limits: { messagesPerMinute: MESSAGES_PER_MINUTE },
  });
});

afterAll(async () => {
  for (const client of clients) client.close();
  await hub.close();
  await env.connection.dropDatabase();
  await env.close();
});

async function widgetKeyOf(tenant: TenantFixture): Promise<string> {
  return (await env.domain.models.Tenant.findOne({ slug: tenant.slug }).lean())!.widgetKey;
}

/** A widget socket as a browser on `origin` opens it (the Origin header is the browser's). */
function widget(token: string, origin = SHOP, transports: Array<'websocket' | 'polling'> = ['websocket']): HubClient {
  const client = connect(`http://127.0.0.1:${hub.port}/customer`, {
    transports,
    extraHeaders: { origin },
    auth: { widgetToken: token },
    reconnection: false,
    forceNew: true,
  }) as HubClient;
  clients.push(client);
  return client;
}

function refusal(client: HubClient): Promise<{ message: string; code?: string; reason?: string }> {
  return new Promise((resolve, reject) => {
    client.once('connect', () => reject(new Error('connected, but should have been refused')));
    client.once('connect_error', (error: Error & { data?: { code?: string; reason?: string } }) =>
      resolve({ message: error.message, code: error.data?.code, reason: error.data?.reason }),
    );
  });
}

function send(client: HubClient, payload: Record<string, unknown>): Promise<Ack<ClientAckData['message:send']>> {
  return request(client, 'message:send', payload);
}

async function counts(tenant: TenantFixture) {
  const tenantId = (await env.domain.models.Tenant.findOne({ slug: tenant.slug }).lean())!._id;
  const { User, Ticket, Entry, WidgetVisitor } = env.domain.models;
  const [users, tickets, entries, visitors] = await Promise.all([
    User.countDocuments({ tenantId }),
    Ticket.countDocuments({ tenantId }),
    Entry.countDocuments({ tenantId }),
    WidgetVisitor.countDocuments({ tenantId }),
  ]);
  return { users, tickets, entries, visitors };
}

describe('widget sockets', () => {
  let tenant: TenantFixture;
  let widgetKey: string;

  beforeAll(async () => {
    tenant = await createTenant(env.domain, 'widget-hub');
    widgetKey = await widgetKeyOf(tenant);
  });

  it('chat both ways: first message opens a ticket, agent sees it live, reply/typing/read receipts reach the visitor', async () => {
    const session = await env.domain.widget.startSession({ widgetKey }, SHOP);
    const visitor = widget(session.token);
    const availability = waitFor(visitor, 'widget:availability');
    await connected(visitor);
    expect(await availability).toEqual({ agentsOnline: 0 });

    // An agent comes online: the widget hears it.
    const agent = connectClient(hub.port, '/agent', { cookie: tenant.agents[0]!.cookie });
    clients.push(agent);
    const online = waitFor(visitor, 'widget:availability', (p) => p.agentsOnline === 1);
    await connected(agent);
    await online;

    const created = waitFor(agent, 'event', (e) => e.type === 'ticket.created');
    const first = await send(visitor, { body: 'Hello, my order #123 has not arrived.', clientKey: 'first-message-0001' });
    expect(first).toMatchObject({ ok: true, data: { ticketCreated: true, duplicate: false } });
    if (!first.ok) throw new Error('send failed');
    const ticketId = first.data.ticketId;
    const ticket = (await created) as DomainEvent;
    expect(ticket.ticketId).toBe(ticketId);
    expect((ticket.data.ticket as { channel: string }).channel).toBe('widget');
    expect(await request(agent, 'ticket:join', { ticketId })).toMatchObject({ ok: true, data: { read: { customer: null, agent: null } } });

    // The agent types and replies: the visitor sees both live.
    const typing = waitFor(visitor, 'ticket:typing', (p) => p.active);
    await request(agent, 'ticket:typing', { ticketId, kind: 'reply', active: true });
    expect((await typing).user.name).toBe(tenant.agents[0]!.name);
    const reply = waitFor(visitor, 'event', (e) => e.type === 'entry.added' && (e.data.entry as { kind: string }).kind === 'reply');
    const { entry } = await env.domain.conversation.add(tenant.agents[0]!.ctx, oid(ticketId), {
      kind: 'reply',
      body: 'Let me check that for you.',
      format: 'text',
    });
    expect(((await reply).data.entry as { bodyText: string }).bodyText).toBe('Let me check that for you.');

    // Read receipts both ways.
    const seenByVisitor = waitFor(agent, 'ticket:read', (p) => p.reader === 'customer');
    expect(await request(visitor, 'message:read', { ticketId, entryId: entry.id })).toMatchObject({
      ok: true,
      data: { read: { customer: entry.id } },
    });
    expect(await seenByVisitor).toMatchObject({ ticketId, entryId: entry.id, reader: 'customer' });
    const seenByAgent = waitFor(visitor, 'ticket:read', (p) => p.reader === 'agent');
    await request(agent, 'message:read', { ticketId, entryId: entry.id });
    expect(await seenByAgent).toMatchObject({ ticketId, entryId: entry.id, reader: 'agent', user: { name: tenant.agents[0]!.name } });
    // Marks only move forward.
    await request(agent, 'message:read', { ticketId, entryId: first.data.entry.id });
    expect(await request(visitor, 'ticket:join', { ticketId })).toMatchObject({
      ok: true,
      data: { read: { customer: entry.id, agent: entry.id } },
    });

    // The visitor's second message continues the same ticket; the agent sees it as an event.
    const second = waitFor(
      agent,
      'event',
      (e) => e.type === 'entry.added' && (e.data.entry as { bodyText: string }).bodyText === 'Thanks!',
    );
    expect(await send(visitor, { ticketId, body: 'Thanks!', clientKey: 'second-message-01' })).toMatchObject({
      ok: true,
      data: { ticketId, ticketCreated: false },
    });
    await second;
  });

  it('keeps the visitor across reloads: a new session with the visitor token reaches the same conversation', async () => {
    const session = await env.domain.widget.startSession({ widgetKey }, SHOP);
    const first = widget(session.token);
    await connected(first);
    const sent = await send(first, { body: 'Question from tab one', clientKey: 'reload-message-1' });
    if (!sent.ok) throw new Error(sent.error.message);
    first.close();
    const again = await env.domain.widget.startSession({ widgetKey, visitorToken: session.visitorToken }, SHOP);
    const second = widget(again.token);
    await connected(second);
    expect(await request(second, 'ticket:join', { ticketId: sent.data.ticketId })).toMatchObject({ ok: true });
    const other = widget((await env.domain.widget.startSession({ widgetKey }, SHOP)).token);
    await connected(other);
    expect(await request(other, 'ticket:join', { ticketId: sent.data.ticketId })).toMatchObject({
      ok: false,
      error: { code: 'not_found' },
    });
    expect(await request(other, 'ticket:join', { ticketId: tenant.ticketId })).toMatchObject({ ok: false, error: { code: 'not_found' } });
  });

  it('stores a retried message once, even when the retries race over two sockets', async () => {
    const session = await env.domain.widget.startSession({ widgetKey }, SHOP);
    const a = widget(session.token);
    const b = widget(session.token);
    await Promise.all([connected(a), connected(b)]);
    const before = await counts(tenant);
    const payload = { body: 'Sent twice because the network dropped', clientKey: 'retry-key-000001' };
    const [one, two, three] = await Promise.all([send(a, payload), send(b, payload), send(a, payload)]);
    for (const ack of [one, two, three]) expect(ack.ok).toBe(true);
    if (!one.ok || !two.ok || !three.ok) throw new Error('send failed');
    expect(new Set([one.data.entry.id, two.data.entry.id, three.data.entry.id]).size).toBe(1);
    expect([one, two, three].filter((ack) => ack.ok && !ack.data.duplicate)).toHaveLength(1);
    const after = await counts(tenant);
    expect(after).toEqual({
      users: before.users + 1,
      tickets: before.tickets + 1,
      entries: before.entries + 1,
      visitors: before.visitors + 1,
    });
    // A retry into the now existing ticket is a duplicate too.
    expect(await send(a, { ...payload, ticketId: one.data.ticketId })).toMatchObject({
      ok: true,
      data: { duplicate: true, entry: { id: one.data.entry.id } },
    });
  });

  it('refuses script, oversized and empty messages with validation_failed and stores nothing', async () => {
    const session = await env.domain.widget.startSession({ widgetKey }, SHOP);
    const client = widget(session.token);
    await connected(client);
    const before = await counts(tenant);
    for (const body of [
      '<script>alert(1)</script>',
      'hi <img src=x onerror=alert(1)>',
      '<a href="javascript:alert(1)">x</a>',
      'x'.repeat(5001),
      '   ',
    ]) {
      const ack = await send(client, { body, clientKey: `bad-input-${Math.random().toString(36).slice(2, 10)}` });
      expect(ack, body.slice(0, 30)).toMatchObject({ ok: false, error: { code: 'validation_failed' } });
    }
    expect(await send(client, { body: 'fine', clientKey: 'short' })).toMatchObject({ ok: false, error: { code: 'validation_failed' } });
    expect(await counts(tenant)).toEqual(before);
    // Talking about markup is fine, and it is stored as text.
    const ok = await send(client, { body: 'Is <b>bold</b> supported? 2 < 3', clientKey: 'markup-text-0001' });
    expect(ok).toMatchObject({ ok: true, data: { entry: { bodyText: 'Is <b>bold</b> supported? 2 < 3' } } });
    if (ok.ok) expect(ok.data.entry.bodyHtml).not.toContain('<b>');
  });

  it('refuses a message flood with rate_limited and stores only what was admitted', async () => {
    const session = await env.domain.widget.startSession({ widgetKey }, SHOP);
    const client = widget(session.token);
    await connected(client);
    const before = await counts(tenant);
    const acks: Array<Ack<ClientAckData['message:send']>> = [];
    let ticketId: string | undefined;
    for (let i = 0; i < MESSAGES_PER_MINUTE + 4; i++) {
      const ack = await send(client, { ...(ticketId ? { ticketId } : {}), body: `flood ${i}`, clientKey: `flood-message-${i}` });
      if (ack.ok) ticketId = ack.data.ticketId;
      acks.push(ack);
    }
    expect(acks.filter((a) => a.ok)).toHaveLength(MESSAGES_PER_MINUTE);
    const refused = acks.filter((a) => !a.ok);
    expect(refused.length).toBeGreaterThanOrEqual(4);
    for (const ack of refused)
      expect(ack).toMatchObject({ ok: false, error: { code: 'rate_limited', message: expect.stringContaining('Too many messages') } });
    expect((await counts(tenant)).entries).toBe(before.entries + MESSAGES_PER_MINUTE);
  });

  it('records knowledge-base feedback only for published public articles of the tenant', async () => {
    const client = widget((await env.domain.widget.startSession({ widgetKey }, SHOP)).token);
    await connected(client);
    const before = await env.domain.models.KbFeedback.countDocuments({ tenantId: tenant.adminCtx.tenantId });
    expect(await request(client, 'kb:feedback', { articleId: '65f000000000000000000001', helped: true, q: 'refund policy' })).toMatchObject(
      {
        ok: false,
        error: { code: 'validation_failed' },
      },
    );
    expect(await request(client, 'kb:feedback', { articleId: '../etc', helped: true, q: 'x' })).toMatchObject({
      ok: false,
      error: { code: 'validation_failed' },
    });
    expect(await env.domain.models.KbFeedback.countDocuments({ tenantId: tenant.adminCtx.tenantId })).toBe(before);
  });

  it('works over long-polling from another site (CORS without credentials)', async () => {
    const handshake = await fetch(`http://127.0.0.1:${hub.port}/socket.io/?EIO=4&transport=polling`, { headers: { origin: SHOP } });
    expect(handshake.status).toBe(200);
    expect(handshake.headers.get('access-control-allow-origin')).toBe(SHOP);
    expect(handshake.headers.get('access-control-allow-credentials')).toBeNull();
    const client = widget((await env.domain.widget.startSession({ widgetKey }, SHOP)).token, SHOP, ['polling']);
    await connected(client);
    expect(await send(client, { body: 'Hello over polling', clientKey: 'polling-message-1' })).toMatchObject({ ok: true });
  });
});

describe('widget handshakes refused', () => {
  let tenant: TenantFixture;
  let widgetKey: string;

  beforeAll(async () => {
    tenant = await createTenant(env.domain, 'widget-refused');
    widgetKey = await widgetKeyOf(tenant);
  });

  it('refuses forged, truncated and other tenants’ tokens as unauthenticated', async () => {
    const { token } = await env.domain.widget.startSession({ widgetKey }, SHOP);
    const [prefix, body, signature] = token.split('.') as [string, string, string];
    const claims = JSON.parse(Buffer.from(body, 'base64url').toString()) as Record<string, unknown>;
    const forged = `${prefix}.${Buffer.from(JSON.stringify({ ...claims, verifiedUserId: tenant.customer.id })).toString('base64url')}.${signature}`;
    for (const bad of [forged, `${prefix}.${body}`, 'sbw1.e30.AAAA', 'garbage']) {
      expect(await refusal(widget(bad))).toMatchObject({ code: 'unauthenticated' });
    }
  });

  it('refuses a page on a disallowed origin, and a token used from another origin than it was issued to', async () => {
    const admin = tenant.adminCtx;
    await env.domain.tenants.updateSettings(admin, { widgetAllowedOrigins: [SHOP] });
    await expect(env.domain.widget.startSession({ widgetKey }, 'https://evil.example')).rejects.toMatchObject({
      code: 'forbidden',
      details: { reason: 'origin_not_allowed' },
    });
    const { token } = await env.domain.widget.startSession({ widgetKey }, SHOP);
    expect(await refusal(widget(token, 'https://evil.example'))).toMatchObject({ code: 'forbidden', reason: 'origin_not_allowed' });
    const ok = widget(token, SHOP);
    await connected(ok);
    ok.close();
    // The tenant removes the site: sessions already issued to it stop working at the next handshake.
    await env.domain.tenants.updateSettings(admin, { widgetAllowedOrigins: ['https://other-shop.example'] });
    expect(await refusal(widget(token, SHOP))).toMatchObject({ code: 'forbidden', reason: 'origin_not_allowed' });
    await env.domain.tenants.updateSettings(admin, { widgetAllowedOrigins: [] });
  });

  it('refuses unverified messages outright when the tenant requires verified identities', async () => {
    await env.domain.tenants.updateSettings(tenant.adminCtx, { widgetRequireVerifiedIdentity: true });
    const anonymous = widget((await env.domain.widget.startSession({ widgetKey }, SHOP)).token);
    await connected(anonymous);
    const before = await counts(tenant);
    const refused = await send(anonymous, { body: 'Let me in', clientKey: 'unverified-0001', email: 'someone@example.com' });
    expect(refused).toMatchObject({
      ok: false,
      error: { code: 'forbidden', message: expect.stringContaining('signed-in customers only') },
    });
    expect(await counts(tenant)).toEqual(before);

    const secret = (await env.domain.models.Tenant.findOne({ slug: tenant.slug }).lean())!.widgetSecret;
    const email = `cust@${tenant.slug}.test`;
    const verified = await env.domain.widget.startSession({ widgetKey, identity: { email, hmac: identityHmac(secret, email) } }, SHOP);
    const client = widget(verified.token);
    await connected(client);
    const ack = await send(client, { body: 'Verified hello', clientKey: 'verified-00001' });
    expect(ack).toMatchObject({ ok: true, data: { ticketCreated: true } });
    // The verified customer is the existing one: their earlier ticket is theirs here too.
    expect(await request(client, 'ticket:join', { ticketId: tenant.ticketId })).toMatchObject({ ok: true });
    await env.domain.tenants.updateSettings(tenant.adminCtx, { widgetRequireVerifiedIdentity: false });
  });

  it('keeps an offline visitor’s email as an unverified contact, visible to agents only as a note', async () => {
    const session = await env.domain.widget.startSession({ widgetKey }, SHOP);
    const client = widget(session.token);
    await connected(client);
    const ack = await send(client, {
      body: 'Nobody there? Please mail me.',
      clientKey: 'offline-mail-001',
      email: `cust@${tenant.slug}.test`,
    });
    if (!ack.ok) throw new Error(ack.error.message);
    const visitor = await env.domain.models.WidgetVisitor.findOne({
      tenantId: tenant.adminCtx.tenantId,
      visitorId: session.visitor.id,
    }).lean();
    expect(visitor?.contactEmail).toBe(`cust@${tenant.slug}.test`);
    // The claim did not make the visitor that customer: the customer's own ticket stays out of reach.
    expect(await request(client, 'ticket:join', { ticketId: tenant.ticketId })).toMatchObject({ ok: false, error: { code: 'not_found' } });
    const staffView = await env.domain.conversation.list(tenant.agents[0]!.ctx, oid(ack.data.ticketId));
    expect(staffView.map((e) => e.kind)).toEqual(['message', 'note']);
    expect(staffView[1]!.bodyText).toContain('not verified');
    const user = await env.domain.models.User.findOne({ tenantId: tenant.adminCtx.tenantId, _id: visitor!.userId! }).lean();
    const customerView = await env.domain.conversation.list(
      { tenantId: tenant.adminCtx.tenantId, actor: { kind: 'user', userId: user!._id, role: 'customer', name: user!.name } },
      oid(ack.data.ticketId),
    );
    expect(customerView.map((e) => e.kind)).toEqual(['message']);
  });
});
