import { createHmac } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { oid } from '@switchboard/api/lib/ids';
import type { Webhook, WebhookDelivery } from '@switchboard/api/webhooks/webhook.model';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, startChannelsHarness, type ChannelsHarness, type TestTenant } from '../testing/channels-harness.ts';
import { BlockedAddressError, postSafely } from './safe-http.ts';
import { SIGNATURE_HEADER, signPayload, verifySignature } from './signature.ts';
import { webhookDeliverJob } from './webhook.jobs.ts';

/** What the receiver saw. */
interface Received {
  path: string;
  headers: http.IncomingHttpHeaders;
  body: string;
}

/** A local HTTP endpoint whose answers each test scripts by path. */
async function startReceiver() {
  const received: Received[] = [];
  const counts = new Map<string, number>();
  const hanging = new Set<http.ServerResponse>();
  const server = http.createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const path = request.url ?? '/';
      received.push({ path, headers: request.headers, body: Buffer.concat(chunks).toString('utf8') });
      const seen = (counts.get(path) ?? 0) + 1;
      counts.set(path, seen);
      if (path.startsWith('/ok')) return response.writeHead(204).end();
      if (path.startsWith('/flaky')) return seen <= 2 ? response.writeHead(500).end('busy') : response.writeHead(200).end('ok');
      if (path.startsWith('/down')) return response.writeHead(503).end('down for maintenance');
      if (path.startsWith('/redirect')) return response.writeHead(302, { location: 'http://169.254.169.254/latest/meta-data/' }).end();
      // /hang: never answers.
      hanging.add(response);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: (path: string) => `http://127.0.0.1:${port}${path}`,
    received,
    at: (path: string) => received.filter((r) => r.path === path),
    close: () =>
      new Promise<void>((resolve) => {
        for (const response of hanging) response.destroy();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

describe('webhooks', () => {
  let h: ChannelsHarness;
  let desk: TestTenant;
  let receiver: Awaited<ReturnType<typeof startReceiver>>;

  const subscribe = (path: string, events: string[]) =>
    h.domain.webhooks.create(desk.as(desk.admin), { url: receiver.url(path), events: events as never });
  const openTicket = async (subject: string) => {
    const customer = await desk.person('customer', `Customer of ${subject}`);
    return (await h.domain.tickets.create(desk.as(customer), { subject, body: 'x', format: 'text' }, 'portal')).ticket.id;
  };
  const deliveriesOf = (webhookId: string) =>
    h.domain.models.WebhookDelivery.find({ tenantId: desk.tenant._id, webhookId: oid(webhookId) })
      .sort({ eventSeq: 1 })
      .lean<WebhookDelivery[]>();
  const settled = (webhookId: string, count: number) =>
    eventually(
      async () => {
        const deliveries = await deliveriesOf(webhookId);
        return deliveries.length === count && deliveries.every((d) => ['succeeded', 'failed', 'skipped'].includes(d.status))
          ? deliveries
          : undefined;
      },
      { what: `${count} settled deliveries` },
    );

  beforeAll(async () => {
    receiver = await startReceiver();
    h = await startChannelsHarness({
      label: 'webhooks',
      config: {
        WEBHOOK_ALLOW_PRIVATE: true,
        WEBHOOK_TIMEOUT_MS: 400,
        WEBHOOK_MAX_ATTEMPTS: 3,
        WEBHOOK_RETRY_BASE_MS: 50,
        WEBHOOK_DISABLE_AFTER: 5,
      },
    });
    desk = await h.tenant('hooks');
  });
  afterAll(async () => {
    await h?.close();
    await receiver?.close();
  });

  it('delivers subscribed events signed with HMAC-SHA256 over timestamp and body', async () => {
    const webhook = await subscribe('/ok', ['ticket.created']);
    const ticketId = await openTicket('Signed');
    const [delivery] = await settled(webhook.id, 1);
    expect(delivery).toMatchObject({ status: 'succeeded', eventType: 'ticket.created' });
    expect(delivery!.attempts).toEqual([expect.objectContaining({ responseStatus: 204, error: null })]);
    const [request] = receiver.at('/ok');
    expect(request!.headers['content-type']).toBe('application/json');
    expect(request!.headers['switchboard-event']).toBe('ticket.created');
    expect(request!.headers['switchboard-delivery']).toBe(delivery!._id.toHexString());
    const signature = request!.headers[SIGNATURE_HEADER] as string;
    expect(signature).toMatch(/^t=\d+,v1=[0-9a-f]{64}$/);
    expect(verifySignature(webhook.secret, request!.body, signature)).toBe(true);
    expect(verifySignature(webhook.secret, `${request!.body} `, signature)).toBe(false);
    expect(verifySignature('whsec_wrong', request!.body, signature)).toBe(false);
    expect(verifySignature(webhook.secret, request!.body, signature, Date.now() + 10 * 60_000)).toBe(false);
    const payload = JSON.parse(request!.body) as {
      id: string;
      type: string;
      tenantId: string;
      event: { ticketId: string; data: { ticket: { subject: string } } };
    };
    expect(payload).toMatchObject({ id: delivery!._id.toHexString(), type: 'ticket.created', tenantId: desk.tenant._id.toHexString() });
    expect(payload.event).toMatchObject({ ticketId, data: { ticket: { subject: 'Signed' } } });
    // entry.added of the same ticket was not subscribed: no delivery.
    expect(receiver.at('/ok').length).toBe(1);
    const log = await h.domain.webhooks.deliveries(desk.as(desk.admin), oid(webhook.id), { limit: 10 });
    expect(log.items).toEqual([expect.objectContaining({ status: 'succeeded', eventType: 'ticket.created' })]);
  });

  it('retries a failing endpoint with backoff until it answers, logging every attempt', async () => {
    const webhook = await subscribe('/flaky', ['ticket.created']);
    await openTicket('Flaky');
    const [delivery] = await settled(webhook.id, 1);
    expect(delivery!.status).toBe('succeeded');
    expect(delivery!.attempts.map((a) => a.responseStatus)).toEqual([500, 500, 200]);
    expect(delivery!.attempts[0]!.error).toBe('endpoint answered 500: busy');
    const requests = receiver.at('/flaky');
    expect(requests).toHaveLength(3);
    expect(new Set(requests.map((r) => r.headers['switchboard-delivery'])).size).toBe(1);
    for (const request of requests)
      expect(verifySignature(webhook.secret, request.body, request.headers[SIGNATURE_HEADER] as string)).toBe(true);
    expect((await h.domain.models.Webhook.findOne({ tenantId: desk.tenant._id, _id: oid(webhook.id) }).lean<Webhook>())!.failureCount).toBe(
      0,
    );
  });

  it('does not follow redirects (to an internal address or anywhere)', async () => {
    const webhook = await subscribe('/redirect', ['ticket.created']);
    await openTicket('Redirected');
    const [delivery] = await settled(webhook.id, 1);
    expect(delivery!.status).toBe('failed');
    expect(delivery!.attempts).toHaveLength(3);
    for (const attempt of delivery!.attempts) {
      expect(attempt.responseStatus).toBe(302);
      expect(attempt.error).toBe('redirects are not followed (302 to http://169.254.169.254/latest/meta-data/)');
    }
    expect(receiver.at('/redirect')).toHaveLength(3);
    expect(receiver.received.some((r) => r.path.startsWith('/latest'))).toBe(false);
  });

  it('gives up on an endpoint that hangs, after the timeout, and the job becomes a dead letter', async () => {
    const webhook = await subscribe('/hang', ['ticket.created']);
    await openTicket('Hanging');
    const [delivery] = await settled(webhook.id, 1);
    expect(delivery!.status).toBe('failed');
    expect(delivery!.attempts.map((a) => a.error)).toEqual([
      'no answer within 400 ms',
      'no answer within 400 ms',
      'no answer within 400 ms',
    ]);
    const letters = await eventually(async () => {
      const all = await h.registry.deadLetters([webhookDeliverJob]);
      const mine = all.find((l) => l.jobId === `webhook:${delivery!._id.toHexString()}`);
      return mine;
    });
    expect(letters).toMatchObject({
      queue: 'webhook-deliver',
      attemptsMade: 3,
      failedReason: expect.stringContaining('no answer within 400 ms'),
    });
  });

  it('disables a webhook after repeated failures and skips what was still pending; an admin turns it back on', async () => {
    const webhook = await subscribe('/down', ['*']);
    await openTicket('Down');
    const deliveries = await settled(webhook.id, 2);
    // The delivery whose failure disabled the webhook failed; one still waiting for its retry then is skipped.
    const statuses = deliveries.map((d) => d.status);
    expect(statuses).toContain('failed');
    expect(statuses.every((status) => status === 'failed' || status === 'skipped')).toBe(true);
    const disabled = (await h.domain.models.Webhook.findOne({ tenantId: desk.tenant._id, _id: oid(webhook.id) }).lean<Webhook>())!;
    expect(disabled).toMatchObject({
      active: false,
      disabledReason: expect.stringMatching(/^disabled after \d+ failed attempts in a row$/),
    });
    expect(disabled.failureCount).toBeGreaterThanOrEqual(5);
    // Disabled: new events are not delivered at all.
    const before = receiver.at('/down').length;
    await openTicket('Still down');
    await eventually(async () => ((await h.registry.queue(webhookDeliverJob).getJobCounts()).active === 0 ? true : undefined));
    expect((await deliveriesOf(webhook.id)).length).toBe(2);
    expect(receiver.at('/down').length).toBe(before);
    const enabled = await h.domain.webhooks.update(desk.as(desk.admin), oid(webhook.id), { active: true });
    expect(enabled).toMatchObject({ active: true, failureCount: 0, disabledAt: null, disabledReason: null });
    await h.domain.webhooks.update(desk.as(desk.admin), oid(webhook.id), { active: false });
  });
});

describe('webhook targets are checked against private ranges', () => {
  let receiver: Awaited<ReturnType<typeof startReceiver>>;
  beforeAll(async () => {
    receiver = await startReceiver();
  });
  afterAll(async () => {
    await receiver?.close();
  });

  it('refuses loopback, private, link-local and mapped addresses before connecting', async () => {
    const port = new URL(receiver.url('/')).port;
    const targets = [
      `http://127.0.0.1:${port}/ok`,
      `http://localhost:${port}/ok`,
      `http://[::1]:${port}/ok`,
      `http://[::ffff:127.0.0.1]:${port}/ok`,
      'http://10.1.2.3/ok',
      'http://192.168.0.10/ok',
      'http://172.16.5.4/ok',
      'http://169.254.169.254/latest/meta-data/',
      'http://100.64.0.1/ok',
      'http://0.0.0.0/ok',
      'http://[fd00::1]/ok',
    ];
    for (const url of targets) {
      await expect(postSafely(url, '{}', {}, { timeoutMs: 500, allowPrivate: false }), url).rejects.toBeInstanceOf(BlockedAddressError);
    }
    expect(receiver.received).toEqual([]);
    // The explicit test setting lets loopback through.
    expect(await postSafely(`http://127.0.0.1:${port}/ok`, '{}', {}, { timeoutMs: 500, allowPrivate: true })).toMatchObject({
      status: 204,
    });
  });

  it('ends a blocked delivery at once, logged, without retries', async () => {
    const h = await startChannelsHarness({
      label: 'ssrf',
      config: { WEBHOOK_ALLOW_PRIVATE: false, WEBHOOK_MAX_ATTEMPTS: 5, WEBHOOK_RETRY_BASE_MS: 50 },
    });
    try {
      const desk = await h.tenant('ssrf');
      const webhook = await h.domain.webhooks.create(desk.as(desk.admin), {
        url: receiver.url('/ok-internal'),
        events: ['ticket.created'],
      });
      const customer = await desk.person('customer', 'Eve');
      await h.domain.tickets.create(desk.as(customer), { subject: 'SSRF', body: 'x', format: 'text' }, 'portal');
      const delivery = await eventually(async () => {
        const found = await h.domain.models.WebhookDelivery.findOne({
          tenantId: desk.tenant._id,
          webhookId: oid(webhook.id),
        }).lean<WebhookDelivery>();
        return found?.status === 'failed' ? found : undefined;
      });
      expect(delivery.attempts).toEqual([
        expect.objectContaining({ responseStatus: null, error: expect.stringContaining('webhooks only reach public addresses') }),
      ]);
      const letter = await eventually(async () =>
        (await h.registry.deadLetters([webhookDeliverJob])).find((l) => l.jobId === `webhook:${delivery._id.toHexString()}`),
      );
      expect(letter.attemptsMade).toBe(1);
      expect(receiver.at('/ok-internal')).toEqual([]);
    } finally {
      await h.close();
    }
  });

  it('signs exactly as documented', () => {
    const body = '{"hello":"world"}';
    const header = signPayload('whsec_test', body, 1_700_000_000);
    // What a receiver computes by hand from the documented scheme.
    expect(header).toBe(`t=1700000000,v1=${createHmac('sha256', 'whsec_test').update(`1700000000.${body}`).digest('hex')}`);
    expect(verifySignature('whsec_test', body, header, 1_700_000_000_000)).toBe(true);
    expect(verifySignature('whsec_test', body, 't=1700000000,v1=zz', 1_700_000_000_000)).toBe(false);
    expect(verifySignature('whsec_test', body, undefined)).toBe(false);
  });
});
