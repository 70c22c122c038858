/**
 * The MongoDB-compatible server crashes (SIGKILL) and comes back on the same port with the
 * same data while people keep writing: replies and messages through the REST API, each
 * retried with its `clientKey` until it is accepted, as the console and the portal do.
 * Writes during the outage fail cleanly (an error status in the API's error shape, fast,
 * never a hang); every write acknowledged with a 2xx is afterwards stored once and in the
 * event log exactly once; the log stays gap-free; and the same api and hub processes serve
 * again without a restart — including live delivery to a connected agent.
 */
import type { DomainEvent } from '@switchboard/api/events/event-types';
import type { EntryDto } from '@switchboard/api/conversation/conversation.schema';
import { createTenant, type TenantFixture } from '@switchboard/realtime/testing/hub-fixtures';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectDomain, startCluster, type Cluster, type ClusterDomain } from '../src/cluster.ts';
import { LiveClient, readLog, restClient, type Rest } from './chaos-clients.ts';
import { randomUUID } from 'node:crypto';

const WRITES_PER_WRITER = 30;
/** Longer than the driver's server selection timeout (10 s), so requests do fail meanwhile. */
const OUTAGE_MS = 12_000;
/** A request that takes longer than this counts as hanging. */
const HANG_MS = 15_000;

let cluster: Cluster;
let data: ClusterDomain;
let tenant: TenantFixture;
let agentClient: LiveClient | undefined;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Attempt {
  status: number;
  ms: number;
  body: unknown;
  at: number;
}

interface Write {
  clientKey: string;
  body: string;
  attempts: Attempt[];
  entryId?: string;
}

/** One person writing into a ticket, every write retried with its clientKey until a 2xx (bounded). */
async function writer(rest: Rest, ticketId: string, kind: 'reply' | 'message', label: string): Promise<Write[]> {
  const writes: Write[] = [];
  for (let i = 0; i < WRITES_PER_WRITER; i++) {
    const write: Write = { clientKey: randomUUID(), body: `${label} ${i}`, attempts: [] };
    writes.push(write);
    const deadline = Date.now() + 60_000;
    while (!write.entryId && write.attempts.length < 100 && Date.now() < deadline) {
      const at = Date.now();
      const answer = await rest<EntryDto>(
        'POST',
        `/tickets/${ticketId}/entries`,
        { kind, body: write.body, format: 'text', clientKey: write.clientKey },
        HANG_MS,
      );
      write.attempts.push({ status: answer.status, ms: answer.ms, body: answer.body, at });
      if (answer.status === 200 || answer.status === 201) write.entryId = answer.body.id;
      else await sleep(200);
    }
    await sleep(60);
  }
  return writes;
}

beforeAll(async () => {
  cluster = await startCluster({ hubs: 1, workers: 0 });
  data = await connectDomain(cluster);
  tenant = await createTenant(data.domain, 'chaos-mongo');
});

afterAll(async () => {
  agentClient?.close();
  await data?.close();
  await cluster?.stop();
});

describe('the MongoDB-compatible server restarted under writes', () => {
  it('fails writes cleanly during the outage, loses nothing acknowledged, and recovers without a restart', async () => {
    const ticketId = tenant.ticketId;
    const agentRest = restClient(cluster.url, tenant.agents[0]!.cookie);
    const start = (await readLog(agentRest, 0)).cursor;
    const pids = cluster.processes().filter((p) => p.name === 'api' || p.name.startsWith('hub'));
    agentClient = new LiveClient({
      url: cluster.balancer.url,
      namespace: '/agent',
      cookie: tenant.agents[0]!.cookie,
      origin: cluster.url,
      ticketId,
      start,
    });
    await agentClient.ready();

    const writers = Promise.all([
      writer(agentRest, ticketId, 'reply', 'reply from Ann'),
      writer(restClient(cluster.url, tenant.agents[1]!.cookie), ticketId, 'reply', 'reply from Ben'),
      writer(restClient(cluster.url, tenant.customer.cookie), ticketId, 'message', 'message from the customer'),
    ]);
    await sleep(1500);
    const downAt = Date.now();
    await cluster.mongo.kill();
    await sleep(OUTAGE_MS);
    const upAt = Date.now();
    await cluster.mongo.start();
    const writes = (await writers).flat();

    // Every write was accepted in the end, by retrying with its key.
    expect(writes.filter((w) => !w.entryId).map((w) => w.body)).toEqual([]);
    const attempts = writes.flatMap((w) => w.attempts);
    const failed = attempts.filter((a) => a.status !== 200 && a.status !== 201);
    // The outage was felt, and every failure was an answer in the error shape, never a hang:
    // 503 `unavailable` while the server is away; `conflict` while a lease a failed writer
    // could not release runs out.
    expect(failed.some((a) => a.at >= downAt && a.at <= upAt && a.status === 503)).toBe(true);
    // An unexpected status shows the api's error log with it (the cluster's logs are gone after the run).
    const errorLog = () =>
      cluster.api
        .output()
        .split('\n')
        .filter((line) => line.includes('"level":50'))
        .slice(0, 5)
        .join('\n');
    for (const attempt of failed) {
      const detail = JSON.stringify(attempt) + ([503, 409].includes(attempt.status) ? '' : `\n${errorLog()}`);
      expect([503, 409], detail).toContain(attempt.status);
      expect(attempt.ms, detail).toBeLessThan(HANG_MS);
      expect(attempt.body, detail).toMatchObject({
        error: { code: attempt.status === 503 ? 'unavailable' : 'conflict', message: expect.any(String), request_id: expect.any(String) },
      });
    }

    // Each acknowledged write: one entry, one entry.added event; the log has no hole. A seq
    // reserved by a writer the outage cut off is a hole readers wait at (up to the log's gap
    // timeout, 10 s) before they fill it as dead: until then the log ends there, so read it
    // once it has every acknowledged write.
    const entries = (await agentRest<{ items: EntryDto[] }>('GET', `/tickets/${ticketId}/entries?limit=500`)).body.items;
    const addedIn = (events: DomainEvent[]) => events.filter((e) => e.type === 'entry.added').map((e) => (e.data.entry as EntryDto).id);
    await expect
      .poll(
        async () => {
          const logged = addedIn((await readLog(agentRest, start)).events);
          return writes.filter((w) => !logged.includes(w.entryId!)).map((w) => w.body);
        },
        {
          timeout: 30_000,
          interval: 500,
        },
      )
      .toEqual([]);
    const log = (await readLog(agentRest, start)).events;
    expect(log.map((e) => e.seq)).toEqual(Array.from({ length: log.length }, (_, i) => start + i + 1));
    const added = addedIn(log);
    for (const write of writes) {
      expect(
        entries.filter((e) => e.id === write.entryId).map((e) => e.bodyText),
        write.body,
      ).toEqual([write.body]);
      expect(
        added.filter((id) => id === write.entryId),
        `events of "${write.body}"`,
      ).toHaveLength(1);
    }
    expect(entries.filter((e) => writes.some((w) => w.body === e.bodyText))).toHaveLength(writes.length);

    // The same processes serve again: ready, a write on the first try, delivered live.
    expect(cluster.processes().filter((p) => p.name === 'api' || p.name.startsWith('hub'))).toEqual(pids);
    const ready = await fetch(`${cluster.url}/health/ready`);
    expect(ready.status).toBe(200);
    const after = await agentRest<EntryDto>('POST', `/tickets/${ticketId}/entries`, {
      kind: 'note',
      body: 'back to normal',
      format: 'text',
    });
    expect(after.status).toBe(201);
    await expect
      .poll(
        () => agentClient!.applied.some((e: DomainEvent) => e.type === 'entry.added' && (e.data.entry as EntryDto).id === after.body.id),
        {
          timeout: 20_000,
        },
      )
      .toBe(true);
    expect(new Set(agentClient.applied.map((e) => e.seq)).size).toBe(agentClient.applied.length);
  });
});
