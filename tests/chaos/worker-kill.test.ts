/**
 * A worker is SIGKILLed in the middle of a job with a side effect outside Switchboard: a
 * webhook delivery to a receiver on loopback that holds the first request open. Another
 * worker, started meanwhile, finds the job stalled once the dead worker's lock runs out,
 * delivers it again with the same delivery id (receivers deduplicate on it), and the job
 * completes exactly once: one recorded attempt, one completed bull job, no failure.
 *
 * Already covered elsewhere, not repeated here: SLA timers and escalations exactly once
 * although a worker is killed between the warning and the breach
 * (tests/integration/sla.test.ts).
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { oid } from '@switchboard/api/lib/ids';
import { createTenant, type TenantFixture } from '@switchboard/realtime/testing/hub-fixtures';
import { webhookDeliverJob } from '@switchboard/workers/webhooks/webhook.jobs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectDomain, startCluster, type Cluster, type ClusterDomain } from '../src/cluster.ts';
import { readLog, restClient } from './chaos-clients.ts';

interface Received {
  deliveryId: string;
  body: string;
  answered: boolean;
  /** The sender went away before an answer. */
  dropped: boolean;
}

let cluster: Cluster;
let data: ClusterDomain;
let tenant: TenantFixture;
let receiver: http.Server;
const received: Received[] = [];

beforeAll(async () => {
  cluster = await startCluster({
    hubs: 0,
    workers: 1,
    roleEnv: { worker: { WEBHOOK_ALLOW_PRIVATE: 'true', WEBHOOK_TIMEOUT_MS: '60000', WEBHOOK_RETRY_BASE_MS: '1000' } },
  });
  data = await connectDomain(cluster);
  tenant = await createTenant(data.domain, 'chaos-worker');
  // The receiver holds the first request of each delivery open (the worker is then mid-job)
  // and answers every later one at once. The fixture's ticket was opened before the webhook
  // existed, but its dispatch job may run after (dispatch finds subscribers when it runs):
  // that delivery is answered at once and not counted.
  receiver = http.createServer((request, response) => {
    let body = '';
    request.on('data', (chunk: Buffer) => (body += chunk.toString()));
    request.on('end', () => {
      const deliveryId = String(request.headers['switchboard-delivery']);
      const { event } = JSON.parse(body) as { event?: { ticketId?: string } };
      if (event?.ticketId === tenant.ticketId) {
        response.writeHead(200, { 'content-type': 'text/plain' }).end('ok');
        return;
      }
      const entry: Received = { deliveryId, body, answered: false, dropped: false };
      const first = !received.some((r) => r.deliveryId === deliveryId);
      received.push(entry);
      if (first) {
        request.socket.once('close', () => (entry.dropped = !entry.answered));
        return;
      }
      entry.answered = true;
      response.writeHead(200, { 'content-type': 'text/plain' }).end('ok');
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  await data.domain.webhooks.create(tenant.adminCtx, {
    url: `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`,
    events: ['ticket.created'],
  });
});

afterAll(async () => {
  receiver?.closeAllConnections();
  await new Promise((resolve) => receiver?.close(resolve));
  await data?.close();
  await cluster?.stop();
});

describe('a worker killed mid-job', () => {
  it('lets another worker complete the job exactly once', async () => {
    const customer = restClient(cluster.url, tenant.customer.cookie);
    const created = await customer<{ ticket: { id: string } }>('POST', '/tickets', { subject: 'Hook me', body: 'Please.', format: 'text' });
    expect(created.status).toBe(201);

    // Worker 1 is inside the delivery: its request reached the receiver and waits for an answer.
    await expect.poll(() => received.length, { timeout: 60_000, interval: 100 }).toBe(1);
    const { deliveryId } = received[0]!;
    const doomed = cluster.workers[0]!;
    await cluster.addWorker();
    await doomed.kill();
    await expect.poll(() => received[0]!.dropped, { timeout: 10_000 }).toBe(true);

    // Worker 2 takes the stalled job over once the dead worker's lock expires (bull: 30 s).
    await expect.poll(() => received.length, { timeout: 120_000, interval: 250 }).toBe(2);
    const job = await data.registry.queue(webhookDeliverJob).getJob(`webhook:${deliveryId}`);
    await expect.poll(async () => (await job!.getState()) as string, { timeout: 30_000, interval: 200 }).toBe('completed');

    // The same delivery, the same payload; answered once.
    expect(received.map((r) => r.deliveryId)).toEqual([deliveryId, deliveryId]);
    expect(received[1]!.body).toBe(received[0]!.body);
    expect(received.filter((r) => r.answered)).toHaveLength(1);
    const payload = JSON.parse(received[1]!.body) as { id: string; type: string; event: { ticketId: string } };
    expect(payload).toMatchObject({ id: deliveryId, type: 'ticket.created', event: { ticketId: created.body.ticket.id } });

    // Completed once, by the survivor: one attempt recorded, a 200, no failure on the job.
    const found = await data.domain.webhooks.delivery(tenant.adminCtx.tenantId, oid(deliveryId));
    expect(found?.delivery.status).toBe('succeeded');
    expect(found?.delivery.attempts.map((a) => a.responseStatus)).toEqual([200]);
    const finished = (await data.registry.queue(webhookDeliverJob).getJob(`webhook:${deliveryId}`))!;
    expect(finished.returnvalue).toEqual({ status: 200 });
    expect(finished.failedReason ?? null).toBeNull();
    expect(await data.registry.queue(webhookDeliverJob).getFailedCount()).toBe(0);
    expect(cluster.workers.filter((w) => w.running())).toHaveLength(1);

    // One event behind it all, and one delivery of it.
    const staff = restClient(cluster.url, tenant.agents[0]!.cookie);
    const events = (await readLog(staff, 0)).events.filter((e) => e.type === 'ticket.created' && e.ticketId === created.body.ticket.id);
    expect(events).toHaveLength(1);
    expect(await data.domain.models.WebhookDelivery.countDocuments({ tenantId: tenant.adminCtx.tenantId, eventSeq: events[0]!.seq })).toBe(
      1,
    );
  });
});
