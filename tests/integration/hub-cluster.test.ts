/**
 * Two hub processes (the production entry, `--services=realtime`) behind a real Redis,
 * real socket.io clients over real websockets, and a domain publishing events through
 * Redis like an API node does.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { oid } from '@switchboard/api/lib/ids';
import { testMongoUri } from '@switchboard/api/testing/services';
import type { DomainEvent } from '@switchboard/api/events/event-types';
import { freePort } from '@switchboard/infra/services/net';
import { startRedis, type RedisService } from '@switchboard/infra/services/redis';
import { SeqTracker } from '@switchboard/realtime/client/seq-tracker';
import type { Ack, ClientAckData, PresenceUser } from '@switchboard/realtime/protocol';
import {
  connectClient,
  connected,
  createTenant,
  request,
  startDomain,
  startHubProcess,
  waitFor,
  type HubClient,
  type HubProcess,
  type TenantFixture,
} from '@switchboard/realtime/testing/hub-fixtures';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const TIMING = { HUB_PRESENCE_TTL_MS: '3000', HUB_HEARTBEAT_MS: '500' };

let redis: RedisService;
let redisPort: number;
let redisDir: string;
let mongoUri: string;
let env: Awaited<ReturnType<typeof startDomain>>;
let nodeA: HubProcess;
let nodeB: HubProcess;
let acme: TenantFixture;
let globex: TenantFixture;
const clients: HubClient[] = [];

function track(client: HubClient): HubClient {
  clients.push(client);
  return client;
}

async function agent(node: HubProcess, person: { cookie: string }): Promise<HubClient> {
  const client = track(connectClient(node.port, '/agent', { cookie: person.cookie }));
  await connected(client);
  return client;
}

beforeAll(async () => {
  redisPort = await freePort();
  redisDir = fs.mkdtempSync(path.join(os.tmpdir(), 'sb-hub-redis-'));
  redis = await startRedis({ port: redisPort, dataDir: redisDir, persist: false, log: () => undefined });
  mongoUri = testMongoUri('hubcluster');
  env = await startDomain(mongoUri, redis.url);
  acme = await createTenant(env.domain, 'acme-hub');
  globex = await createTenant(env.domain, 'globex-hub');
  [nodeA, nodeB] = await Promise.all([
    startHubProcess({ mongoUri, redisUrl: redis.url, extra: TIMING }),
    startHubProcess({ mongoUri, redisUrl: redis.url, extra: TIMING }),
  ]);
});

afterAll(async () => {
  for (const client of clients) client.close();
  await Promise.all([nodeA?.stop(), nodeB?.stop()]);
  await env?.connection.dropDatabase().catch(() => undefined);
  await env?.close();
  await redis?.stop();
  fs.rmSync(redisDir, { recursive: true, force: true });
});

describe('hub cluster: two processes, one Redis', () => {
  it('starts on the uWebSockets.js engine', () => {
    expect(nodeA.output()).toContain('engine: uws');
  });

  it('delivers a domain event to agents on both nodes with the same seq', async () => {
    const [a, b] = await Promise.all([agent(nodeA, acme.agents[0]!), agent(nodeB, acme.agents[1]!)]);
    const onA = waitFor(a, 'event', (e) => e.type === 'ticket.created');
    const onB = waitFor(b, 'event', (e) => e.type === 'ticket.created');
    const { ticket } = await env.domain.tickets.create(
      acme.customer.ctx,
      { subject: 'Cross-node', body: 'Hello', format: 'text' },
      'portal',
    );
    const [eventA, eventB] = await Promise.all([onA, onB]);
    expect(eventA.ticketId).toBe(ticket.id);
    expect(eventB.seq).toBe(eventA.seq);
  });

  it('agrees on who views a ticket across nodes, and warns on a reply collision', async () => {
    const [a, b] = await Promise.all([agent(nodeA, acme.agents[0]!), agent(nodeB, acme.agents[1]!)]);
    const joinA = await request<Ack<ClientAckData['ticket:join']>>(a, 'ticket:join', { ticketId: acme.ticketId });
    expect(joinA.ok).toBe(true);
    const seenByA = waitFor(a, 'presence:viewers', (p) => p.viewers.length === 2);
    const joinB = await request<Ack<ClientAckData['ticket:join']>>(b, 'ticket:join', { ticketId: acme.ticketId });
    expect(joinB.ok && joinB.data.viewers.map((v: PresenceUser) => v.name).sort()).toEqual(
      [acme.agents[0]!.name, acme.agents[1]!.name].sort(),
    );
    expect((await seenByA).viewers.map((v) => v.id).sort()).toEqual([acme.agents[0]!.id, acme.agents[1]!.id].sort());

    const typingSeenByB = waitFor(b, 'ticket:typing', (p) => p.user.id === acme.agents[0]!.id && p.active);
    const first = await request<Ack<ClientAckData['ticket:typing']>>(a, 'ticket:typing', {
      ticketId: acme.ticketId,
      kind: 'reply',
      active: true,
    });
    expect(first).toEqual({ ok: true, data: { collision: [] } });
    expect((await typingSeenByB).kind).toBe('reply');

    const collisionOnA = waitFor(a, 'ticket:collision');
    const second = await request<Ack<ClientAckData['ticket:typing']>>(b, 'ticket:typing', {
      ticketId: acme.ticketId,
      kind: 'reply',
      active: true,
    });
    expect(second.ok && second.data.collision.map((p: PresenceUser) => p.id)).toEqual([acme.agents[0]!.id]);
    expect((await collisionOnA).replying.map((p) => p.id).sort()).toEqual([acme.agents[0]!.id, acme.agents[1]!.id].sort());
  });

  it('keeps an idle viewer listed while the tab is open (FreeScout #4548)', async () => {
    const a = await agent(nodeA, acme.agents[0]!);
    await request(a, 'ticket:join', { ticketId: acme.ticketId });
    await new Promise((r) => setTimeout(r, 3 * Number(TIMING.HUB_PRESENCE_TTL_MS)));
    const b = await agent(nodeB, acme.agents[1]!);
    const join = await request<Ack<ClientAckData['ticket:join']>>(b, 'ticket:join', { ticketId: acme.ticketId });
    expect(join.ok && join.data.viewers.map((v: PresenceUser) => v.id)).toContain(acme.agents[0]!.id);
  });

  it('refuses sockets per namespace without the right credentials', async () => {
    // Each client is created right before it is awaited: a connect_error fires only once.
    const cases: Array<[string, () => HubClient, string]> = [
      ['agent without a session', () => connectClient(nodeA.port, '/agent'), 'unauthenticated'],
      ['agent with a customer session', () => connectClient(nodeA.port, '/agent', { cookie: acme.customer.cookie }), 'forbidden'],
      [
        'agent session from a foreign origin',
        () => connectClient(nodeA.port, '/agent', { cookie: acme.agents[0]!.cookie, origin: 'https://evil.example' }),
        'forbidden',
      ],
      [
        'customer namespace with an agent session',
        () => connectClient(nodeB.port, '/customer', { cookie: acme.agents[0]!.cookie }),
        'forbidden',
      ],
      ['customer namespace without a session', () => connectClient(nodeB.port, '/customer'), 'unauthenticated'],
      ['board with a wrong token', () => connectClient(nodeA.port, '/board', { boardToken: 'sbb_not-a-real-token' }), 'unauthenticated'],
      ['board without a token', () => connectClient(nodeA.port, '/board'), 'unauthenticated'],
    ];
    for (const [label, open, code] of cases) {
      const client = track(open());
      await expect(connected(client), label).rejects.toMatchObject({ code });
      expect(client.connected, label).toBe(false);
    }
    const { token } = await env.domain.boards.create(acme.adminCtx, { name: 'Floor' });
    const board = track(connectClient(nodeA.port, '/board', { boardToken: token }));
    await connected(board);
    expect(board.connected).toBe(true);
  });

  it('refuses joining another tenant’s ticket and never leaks its traffic', async () => {
    const a = await agent(nodeA, acme.agents[0]!);
    const leaked: DomainEvent[] = [];
    a.on('event', (e) => {
      if (e.ticketId === globex.ticketId) leaked.push(e);
    });
    const join = await request<Ack<unknown>>(a, 'ticket:join', { ticketId: globex.ticketId });
    expect(join).toEqual({ ok: false, error: { code: 'not_found', message: 'No such ticket.' } });
    const globexAgent = await agent(nodeB, globex.agents[0]!);
    const seen = waitFor(globexAgent, 'event', (e) => e.ticketId === globex.ticketId && e.type === 'entry.added');
    await env.domain.conversation.add(globex.agents[0]!.ctx, oid(globex.ticketId), {
      kind: 'note',
      body: 'secret globex note',
      format: 'text',
    });
    await seen;
    const resync = await request<Ack<ClientAckData['resync']>>(a, 'resync', { after: 0, ticketId: globex.ticketId });
    expect(resync).toMatchObject({ ok: false, error: { code: 'not_found' } });
    await new Promise((r) => setTimeout(r, 300));
    expect(leaked).toEqual([]);
  });

  it('never signals an internal note’s typing to the customer (Chatwoot #3287)', async () => {
    const a = await agent(nodeA, acme.agents[0]!);
    const customer = track(connectClient(nodeB.port, '/customer', { cookie: acme.customer.cookie }));
    await connected(customer);
    await request(customer, 'ticket:join', { ticketId: acme.ticketId });
    await request(a, 'ticket:join', { ticketId: acme.ticketId });
    const typing: Array<{ kind: string }> = [];
    customer.on('ticket:typing', (p) => typing.push(p));
    await request(a, 'ticket:typing', { ticketId: acme.ticketId, kind: 'note', active: true });
    const reply = waitFor(customer, 'ticket:typing');
    await request(a, 'ticket:typing', { ticketId: acme.ticketId, kind: 'reply', active: true });
    expect((await reply).kind).toBe('reply');
    expect(typing.map((t) => t.kind)).toEqual(['reply']);
  });
});

describe('hub cluster under faults', () => {
  it('resyncs a client after its node is killed mid-stream: every event exactly once, in order', async () => {
    const tenant = await createTenant(env.domain, 'chaos-hub');
    const applied: number[] = [];
    const victim = await agent(nodeA, tenant.agents[0]!);
    const hello = await waitFor(victim, 'hello');
    let current = victim;
    const tracker = new SeqTracker<DomainEvent>({
      last: hello.head,
      apply: (e) => applied.push(e.seq),
      onGap: (after) => {
        // A failed resync (node just died) is retried by the next gap report.
        request<Ack<ClientAckData['resync']>>(current, 'resync', { after, limit: 500 }).then(
          (r) => r.ok && tracker.receive(r.data.events),
          () => undefined,
        );
      },
      gapWaitMs: 200,
    });
    victim.on('event', (e) => tracker.receive(e));
    const published: number[] = [];
    const producer = (async () => {
      for (let i = 0; i < 60; i++) {
        const { events } = await env.domain.tickets.update(tenant.agents[1]!.ctx, oid(tenant.ticketId), { customFields: { step: i } });
        published.push(...events.map((e) => e.seq));
        await new Promise((r) => setTimeout(r, 25));
      }
    })();
    await new Promise((r) => setTimeout(r, 500));
    await nodeA.kill();
    // The client's load balancer sends it to the surviving node.
    const survivor = await agent(nodeB, tenant.agents[0]!);
    current = survivor;
    survivor.on('event', (e) => tracker.receive(e));
    tracker.resyncNow();
    await producer;
    const deadline = Date.now() + 10_000;
    while (tracker.last < published[published.length - 1]! && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    tracker.dispose();
    const expected = Array.from({ length: published[published.length - 1]! - hello.head }, (_, i) => hello.head + i + 1);
    expect(applied).toEqual(expected);
    expect(new Set(applied).size).toBe(applied.length);
    nodeA = await startHubProcess({ mongoUri, redisUrl: redis.url, extra: TIMING });
  });

  it('drops a crashed node’s viewers from presence within the TTL', async () => {
    const tenant = await createTenant(env.domain, 'crash-hub');
    const doomed = await startHubProcess({ mongoUri, redisUrl: redis.url, extra: TIMING });
    const a = track(connectClient(doomed.port, '/agent', { cookie: tenant.agents[0]!.cookie }));
    await connected(a);
    await request(a, 'ticket:join', { ticketId: tenant.ticketId });
    const b = await agent(nodeB, tenant.agents[1]!);
    const join = await request<Ack<ClientAckData['ticket:join']>>(b, 'ticket:join', { ticketId: tenant.ticketId });
    expect(join.ok && join.data.viewers.length).toBe(2);
    const gone = waitFor(b, 'presence:viewers', (p) => p.viewers.length === 1, 15_000);
    const killedAt = Date.now();
    await doomed.kill();
    expect((await gone).viewers.map((v) => v.id)).toEqual([tenant.agents[1]!.id]);
    expect(Date.now() - killedAt).toBeLessThan(Number(TIMING.HUB_PRESENCE_TTL_MS) + 2 * Number(TIMING.HUB_HEARTBEAT_MS) + 2000);
  });

  it('resumes live delivery by itself after Redis restarts (Chatwoot #14703)', async () => {
    const tenant = await createTenant(env.domain, 'redis-hub');
    const a = await agent(nodeB, tenant.agents[0]!);
    await redis.stop();
    await new Promise((r) => setTimeout(r, 500));
    redis = await startRedis({ port: redisPort, dataDir: redisDir, persist: false, log: () => undefined });
    const deadline = Date.now() + 20_000;
    let delivered = false;
    while (!delivered && Date.now() < deadline) {
      const seen = waitFor(a, 'event', (e) => e.ticketId === tenant.ticketId, 1000).then(
        () => true,
        () => false,
      );
      await env.domain.tickets
        .update(tenant.agents[1]!.ctx, oid(tenant.ticketId), { customFields: { ping: Date.now() } })
        .catch(() => undefined);
      delivered = await seen;
    }
    expect(delivered).toBe(true);
    expect(a.connected).toBe(true);
  });
});
