/**
 * A hub node dies (SIGKILL) in the middle of a conversation between an agent and a
 * customer, both connected to it through the cluster's load balancer. The clients
 * reconnect through the balancer to the surviving node by themselves; afterwards each
 * side's applied sequence is exactly the event log (GET /events) — complete, in order,
 * nothing twice — and every message either side sent is stored once, in the order sent.
 *
 * Already covered elsewhere, not repeated here: a single agent resyncing after its node is
 * killed while a domain publishes, presence of a crashed node expiring, and live delivery
 * resuming after a Redis restart (tests/integration/hub-cluster.test.ts).
 */
import type { DomainEvent } from '@switchboard/api/events/event-types';
import type { EntryDto } from '@switchboard/api/conversation/conversation.schema';
import { createTenant, type TenantFixture } from '@switchboard/realtime/testing/hub-fixtures';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectDomain, startCluster, type Cluster, type ClusterDomain } from '../src/cluster.ts';
import { LiveClient, postUntilAccepted, readLog, restClient, type Rest } from './chaos-clients.ts';

const MESSAGES = 12;
const KILL_AFTER = 4;

let cluster: Cluster;
let data: ClusterDomain;
let tenant: TenantFixture;
const clients: LiveClient[] = [];

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const bodiesOf = (events: DomainEvent[], kind: string) =>
  events
    .filter((e) => e.type === 'entry.added' && (e.data.entry as EntryDto).kind === kind)
    .map((e) => (e.data.entry as EntryDto).bodyText);

beforeAll(async () => {
  cluster = await startCluster({ hubs: 2, workers: 0 });
  data = await connectDomain(cluster);
  tenant = await createTenant(data.domain, 'chaos-hub-kill');
});

afterAll(async () => {
  for (const client of clients) client.close();
  await data?.close();
  await cluster?.stop();
});

describe('a hub node killed mid-conversation', () => {
  it('moves both sides to the other node; each received sequence is the log, complete, in order, once', async () => {
    const agentRest: Rest = restClient(cluster.url, tenant.agents[0]!.cookie);
    const customerRest: Rest = restClient(cluster.url, tenant.customer.cookie);
    const ticketId = tenant.ticketId;
    const staffStart = (await readLog(agentRest, 0)).cursor;
    const customerStart = (await readLog(customerRest, 0, ticketId)).cursor;

    // Both connect through the balancer to the node that will die.
    cluster.balancer.pin(0);
    const common = { url: cluster.balancer.url, origin: cluster.url, ticketId };
    const agent = new LiveClient({ ...common, namespace: '/agent', cookie: tenant.agents[0]!.cookie, start: staffStart });
    const customer = new LiveClient({ ...common, namespace: '/customer', cookie: tenant.customer.cookie, start: customerStart });
    clients.push(agent, customer);
    await Promise.all([agent.ready(), customer.ready()]);
    expect(cluster.balancer.connections()).toEqual([2, 0]);
    cluster.balancer.pin(null);

    let killed: Promise<void> | undefined;
    let sentBeforeKill = 0;
    for (let i = 0; i < MESSAGES; i++) {
      if (i === KILL_AFTER) {
        sentBeforeKill = i;
        // The customer's message and the agent's typing go out on the dying node's sockets.
        killed = cluster.hubs[0]!.kill();
      }
      await Promise.all([
        customer.sendMessage(`customer message ${i}`),
        (async () => {
          await agent.request('ticket:typing', { ticketId, kind: 'reply', active: true });
          await postUntilAccepted(agentRest, `/tickets/${ticketId}/entries`, { kind: 'reply', body: `agent reply ${i}`, format: 'text' });
          await agent.request('ticket:typing', { ticketId, kind: 'reply', active: false });
        })(),
      ]);
      await sleep(50);
    }
    await killed;

    const staffLog = (await readLog(agentRest, staffStart)).events;
    const customerLog = (await readLog(customerRest, customerStart, ticketId)).events;
    const staffHead = staffLog.at(-1)!.seq;
    const customerHead = customerLog.at(-1)!.seq;
    await expect.poll(() => agent.last, { timeout: 30_000, interval: 100 }).toBeGreaterThanOrEqual(staffHead);
    await expect.poll(() => customer.applied.at(-1)?.seq ?? 0, { timeout: 30_000, interval: 100 }).toBeGreaterThanOrEqual(customerHead);

    // Mid-conversation: some messages went before the kill, most after.
    expect(sentBeforeKill).toBeGreaterThan(0);
    expect(sentBeforeKill).toBeLessThan(MESSAGES);
    // Both reconnected, through the balancer, to the survivor.
    expect(agent.connects).toBe(2);
    expect(customer.connects).toBe(2);
    expect(cluster.hubs[0]!.running()).toBe(false);
    expect(cluster.balancer.connections()).toEqual([0, 2]);

    // Each side applied exactly the log's sequence (seq by seq), with nothing twice.
    const agentSeqs = agent.applied.map((e) => e.seq);
    const customerSeqs = customer.applied.map((e) => e.seq);
    expect(agentSeqs).toEqual(staffLog.map((e) => e.seq));
    expect(customerSeqs).toEqual(customerLog.map((e) => e.seq));
    expect(new Set(agentSeqs).size).toBe(agentSeqs.length);
    expect(new Set(customerSeqs).size).toBe(customerSeqs.length);
    expect(customer.applied.every((e) => e.audience === 'public' && e.ticketId === ticketId)).toBe(true);

    // Every message of both sides once, in the order sent — in the log and on both screens.
    const customerMessages = Array.from({ length: MESSAGES }, (_, i) => `customer message ${i}`);
    const agentReplies = Array.from({ length: MESSAGES }, (_, i) => `agent reply ${i}`);
    const entries = await agentRest<{ items: EntryDto[] }>('GET', `/tickets/${ticketId}/entries?limit=500`);
    expect(
      entries.body.items.filter((e) => e.kind === 'message' && e.bodyText.startsWith('customer message')).map((e) => e.bodyText),
    ).toEqual(customerMessages);
    expect(entries.body.items.filter((e) => e.kind === 'reply').map((e) => e.bodyText)).toEqual(agentReplies);
    for (const client of [agent, customer]) {
      expect(bodiesOf(client.applied, 'message')).toEqual(customerMessages);
      expect(bodiesOf(client.applied, 'reply')).toEqual(agentReplies);
    }
  });
});
