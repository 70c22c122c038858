import { createLogger } from '@switchboard/api/lib/logger';
import { testMongoUri, testRedisUrl } from '@switchboard/api/testing/services';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHub, type Hub } from './hub.ts';
import {
  connectClient,
  connected,
  createTenant,
  freePort,
  startDomain,
  waitFor,
  type HubClient,
  type TenantFixture,
} from './testing/hub-fixtures.ts';

describe('the /board namespace (in-process node, real sockets)', () => {
  let env: Awaited<ReturnType<typeof startDomain>>;
  let hub: Hub;
  let tenant: TenantFixture;
  const clients: HubClient[] = [];

  const board = (token: string) => {
    const client = connectClient(hub.port, '/board', { boardToken: token });
    clients.push(client);
    return client;
  };

  beforeAll(async () => {
    env = await startDomain(testMongoUri('hubboard'), testRedisUrl());
    tenant = await createTenant(env.domain, 'board-hub');
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
      limits: { boardRecheckMs: 200 },
    });
  });

  afterAll(async () => {
    for (const client of clients) client.close();
    await hub.close();
    await env.connection.dropDatabase();
    await env.close();
  });

  it('refuses a wrong token', async () => {
    await expect(connected(board('sbb_not-a-real-token'))).rejects.toMatchObject({ code: 'unauthenticated' });
  });

  it('delivers ticket events to a board, and disconnects it once its board is revoked', async () => {
    const { board: created, token } = await env.domain.boards.create(tenant.adminCtx, { name: 'Floor' });
    const client = board(token);
    const hello = waitFor(client, 'hello');
    await connected(client);
    expect(await hello).toMatchObject({ role: 'board', tenantId: tenant.adminCtx.tenantId.toHexString() });

    const event = waitFor(client, 'event', (e) => e.type === 'ticket.created');
    const { ticket } = await env.domain.tickets.create(
      tenant.customer.ctx,
      { subject: 'On the wall', body: 'Hi', format: 'text' },
      'portal',
    );
    // A wall display is told that something changed, never what: no subject, no body.
    const received = await event;
    expect(received.ticketId).toBe(ticket.id);
    expect(received.data).toEqual({});
    expect(JSON.stringify(received)).not.toContain('On the wall');

    const told = waitFor(client, 'error');
    const gone = new Promise<string>((resolve) => client.once('disconnect', resolve));
    await env.domain.boards.revoke(tenant.adminCtx, created._id);
    expect(await told).toMatchObject({ code: 'unauthenticated' });
    expect(await gone).toBe('io server disconnect');
    await expect(connected(board(token))).rejects.toMatchObject({ code: 'unauthenticated' });
  });
});
