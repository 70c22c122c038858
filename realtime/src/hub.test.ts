import { createLogger } from '@switchboard/api/lib/logger';
import { testMongoUri, testRedisUrl } from '@switchboard/api/testing/services';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHub, type Hub } from './hub.ts';
import type { Ack } from './protocol.ts';
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

/** The untyped socket: hostile tests send what the typed contract would refuse to compile. */
const raw = (client: HubClient) => client as unknown as { emit(event: string, ...args: unknown[]): void };

describe('hub limits and bad input (in-process node, real sockets)', () => {
  let env: Awaited<ReturnType<typeof startDomain>>;
  let hub: Hub;
  let tenant: TenantFixture;
  const clients: HubClient[] = [];

  const agent = async (index = 0) => {
    const client = connectClient(hub.port, '/agent', { cookie: tenant.agents[index]!.cookie });
    clients.push(client);
    await connected(client);
    return client;
  };

  beforeAll(async () => {
    env = await startDomain(testMongoUri('hublimits'), testRedisUrl());
    tenant = await createTenant(env.domain, 'limits-hub');
    hub = await startHub({
      env: {
        REDIS_URL: testRedisUrl(),
        HUB_PORT: await freePort(),
        HUB_ENGINE: 'uws',
        HUB_PRESENCE_TTL_MS: 20_000,
        HUB_HEARTBEAT_MS: 5_000,
      },
      logger: createLogger({ level: 'silent' }),
      domain: env.domain,
      allowedHosts: ['127.0.0.1:3999'],
      limits: { socketRate: 5, socketBurst: 10, maxViolations: 6, maxRoomsPerSocket: 2, maxPayloadBytes: 8 * 1024 },
    });
  });

  afterAll(async () => {
    for (const client of clients) client.close();
    await hub.close();
    await env.connection.dropDatabase();
    await env.close();
  });

  it('answers a malformed payload with validation_failed and keeps the socket', async () => {
    const client = await agent();
    const reply = await request<Ack<unknown>>(client, 'ticket:join', { ticketId: 'not-an-id' });
    expect(reply).toMatchObject({ ok: false, error: { code: 'validation_failed' } });
    const extra = await request<Ack<unknown>>(client, 'ticket:join', { ticketId: tenant.ticketId, admin: true });
    expect(extra).toMatchObject({ ok: false, error: { code: 'validation_failed' } });
    const wrongType = await request<Ack<unknown>>(client, 'resync', { after: '0' });
    expect(wrongType).toMatchObject({ ok: false, error: { code: 'validation_failed' } });
    expect(client.connected).toBe(true);
  });

  it('answers unknown events with bad_request', async () => {
    const client = await agent();
    expect(await request<Ack<unknown>>(client, 'admin:drop-database', {})).toMatchObject({ ok: false, error: { code: 'bad_request' } });
  });

  it('survives events sent without an ack callback or with hostile payloads', async () => {
    const client = await agent();
    raw(client).emit('ticket:join', null);
    raw(client).emit('ticket:typing', { ticketId: { $gt: '' }, kind: 'reply', active: true });
    raw(client).emit('resync', ['__proto__']);
    const reply = await request<Ack<unknown>>(client, 'ticket:join', { ticketId: tenant.ticketId });
    expect(reply).toMatchObject({ ok: true });
  });

  it('refuses typing in a ticket the socket has not joined', async () => {
    const client = await agent();
    expect(await request<Ack<unknown>>(client, 'ticket:typing', { ticketId: tenant.ticketId, kind: 'reply', active: true })).toMatchObject({
      ok: false,
      error: { code: 'forbidden' },
    });
  });

  it('caps the ticket rooms one socket may join', async () => {
    const client = await agent(1);
    const more = await Promise.all(
      [1, 2].map(
        async (i) =>
          (await env.domain.tickets.create(tenant.customer.ctx, { subject: `Room ${i}`, body: 'x', format: 'text' }, 'portal')).ticket.id,
      ),
    );
    expect(await request<Ack<unknown>>(client, 'ticket:join', { ticketId: tenant.ticketId })).toMatchObject({ ok: true });
    expect(await request<Ack<unknown>>(client, 'ticket:join', { ticketId: more[0] })).toMatchObject({ ok: true });
    expect(await request<Ack<unknown>>(client, 'ticket:join', { ticketId: more[1] })).toMatchObject({
      ok: false,
      error: { code: 'too_many_rooms' },
    });
  });

  it('rate-limits a flood, then disconnects the socket after repeated violations', async () => {
    const client = await agent();
    const disconnected = new Promise<string>((resolve) => client.once('disconnect', resolve));
    const errors: string[] = [];
    client.on('error', (e) => errors.push(e.code));
    const replies = await Promise.all(
      Array.from({ length: 20 }, () =>
        request<Ack<unknown>>(client, 'resync', { after: 0, limit: 1 }, 3000).catch(
          () => ({ ok: false, error: { code: 'timeout' } }) as const,
        ),
      ),
    );
    expect(replies.some((r) => !r.ok && r.error.code === 'rate_limited')).toBe(true);
    expect(await disconnected).toBe('io server disconnect');
    expect(errors).toContain('rate_limited');
  });

  it('closes the connection of an oversized frame', async () => {
    const client = await agent();
    const disconnected = new Promise<string>((resolve) => client.once('disconnect', resolve));
    raw(client).emit('ticket:join', { ticketId: 'x'.repeat(16 * 1024) });
    expect(await disconnected).toMatch(/transport close|transport error/);
  });

  it('delivers the welcome with the current head of the log', async () => {
    const client = connectClient(hub.port, '/agent', { cookie: tenant.agents[0]!.cookie });
    clients.push(client);
    const hello = await waitFor(client, 'hello');
    expect(hello).toMatchObject({
      tenantId: tenant.adminCtx.tenantId.toHexString(),
      role: 'agent',
      head: await env.domain.events.head(tenant.adminCtx.tenantId),
    });
  });

  it('tells its clients to reconnect elsewhere when it shuts down', async () => {
    const other = await startHub({
      env: {
        REDIS_URL: testRedisUrl(),
        HUB_PORT: await freePort(),
        HUB_ENGINE: 'uws',
        HUB_PRESENCE_TTL_MS: 20_000,
        HUB_HEARTBEAT_MS: 5_000,
      },
      logger: createLogger({ level: 'silent' }),
      domain: env.domain,
      allowedHosts: ['127.0.0.1:3999'],
    });
    const client = connectClient(other.port, '/agent', { cookie: tenant.agents[0]!.cookie });
    clients.push(client);
    await connected(client);
    const notice = waitFor(client, 'server:shutdown');
    const gone = new Promise<string>((resolve) => client.once('disconnect', resolve));
    await other.close();
    expect(await notice).toEqual({ reconnect: true });
    expect(await gone).toMatch(/io server disconnect|transport close/);
  });
});
