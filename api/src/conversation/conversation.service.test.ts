import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DomainEvent } from '../events/event-types.ts';
import { oid } from '../lib/ids.ts';
import { ApiHarness, type Person, type TenantFixture } from '../testing/api-harness.ts';
import type { EntryDto } from './conversation.schema.ts';

describe('retrying an entry with its clientKey (through the API, on the provisioned server)', () => {
  let h: ApiHarness;
  let tenant: TenantFixture;
  let agent: Person;
  let ticketId: string;

  beforeAll(async () => {
    h = await ApiHarness.start({ label: 'entryretry' });
    tenant = await h.signUpTenant();
    agent = await h.createPerson(tenant, 'agent');
    const created = await h.ok<{ ticket: { id: string } }>(tenant.admin, 'POST', '/tickets', {
      subject: 'Retries',
      body: 'First message',
      requester: { email: 'retry@example.test' },
    });
    ticketId = created.ticket.id;
  });
  afterAll(async () => {
    await h.close();
  });

  /** entry.added events of one entry in the whole log. */
  async function eventsOf(entryId: string): Promise<DomainEvent[]> {
    const page = await h.ok<{ events: DomainEvent[] }>(tenant.admin, 'GET', `/events?after=0&limit=500&ticketId=${ticketId}`);
    return page.events.filter((e) => e.type === 'entry.added' && (e.data.entry as EntryDto).id === entryId);
  }

  async function post(clientKey: string, body: string) {
    return h.request(agent.auth, {
      method: 'POST',
      url: `/tickets/${ticketId}/entries`,
      body: { kind: 'reply', body, format: 'text', clientKey },
    });
  }

  it('answers a retry with the stored entry and appends nothing more', async () => {
    const first = await post('retry-key-0001', 'Hello once');
    expect(first.statusCode).toBe(201);
    const again = await post('retry-key-0001', 'Hello once');
    expect(again.statusCode).toBe(200);
    expect(again.json<EntryDto>().id).toBe(first.json<EntryDto>().id);
    expect(await eventsOf(first.json<EntryDto>().id)).toHaveLength(1);
  });

  it('logs the entry of an attempt that stored it and died before its event, exactly once', async () => {
    // What a first attempt leaves when the database goes away between the entry and its event.
    const [orphan] = await h.domain.models.Entry.create([
      {
        tenantId: oid(tenant.id),
        ticketId: oid(ticketId),
        kind: 'reply',
        authorId: oid(agent.id),
        authorName: agent.name,
        bodyHtml: '<p>Stored, never logged</p>',
        bodyText: 'Stored, never logged',
        clientKey: 'retry-key-0002',
      },
    ]);
    const id = orphan!._id.toHexString();
    expect(await eventsOf(id)).toHaveLength(0);

    const retry = await post('retry-key-0002', 'Stored, never logged');
    expect(retry.statusCode).toBe(200);
    expect(retry.json<EntryDto>().id).toBe(id);
    const [event] = await eventsOf(id);
    expect(event).toMatchObject({ audience: 'public', ticketId });

    const another = await post('retry-key-0002', 'Stored, never logged');
    expect(another.statusCode).toBe(200);
    expect(await eventsOf(id)).toHaveLength(1);
  });
});

describe('listing a conversation (through the API, on the provisioned server)', () => {
  let h: ApiHarness;
  let tenant: TenantFixture;
  let agent: Person;
  let ticketId: string;

  beforeAll(async () => {
    h = await ApiHarness.start({ label: 'entryorder' });
    tenant = await h.signUpTenant();
    agent = await h.createPerson(tenant, 'agent');
    const created = await h.ok<{ ticket: { id: string } }>(tenant.admin, 'POST', '/tickets', {
      subject: 'Order',
      body: 'First message',
      requester: { email: 'order@example.test' },
    });
    ticketId = created.ticket.id;
  });
  afterAll(async () => {
    await h.close();
  });

  it('lists entries in the order they were made, although ids from different processes sort otherwise', async () => {
    // Two hub nodes in the same second: the same timestamp part, each its own process part.
    const second = Math.floor(Date.now() / 1000)
      .toString(16)
      .padStart(8, '0');
    const ids = [`${second}ffffffffff000001`, `${second}0000000000000002`];
    for (const [index, id] of ids.entries()) {
      await h.domain.models.Entry.create([
        {
          _id: oid(id),
          tenantId: oid(tenant.id),
          ticketId: oid(ticketId),
          kind: 'reply',
          authorId: oid(agent.id),
          authorName: agent.name,
          bodyHtml: `<p>Reply ${index}</p>`,
          bodyText: `Reply ${index}`,
          clientKey: `order-key-000${index}`,
        },
      ]);
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    const { items } = await h.ok<{ items: EntryDto[] }>(agent, 'GET', `/tickets/${ticketId}/entries`);
    expect(items.map((e) => e.bodyText)).toEqual(['First message', 'Reply 0', 'Reply 1']);
    // Paging on from an entry follows the same order.
    const first = items[0]!.id;
    const rest = await h.ok<{ items: EntryDto[] }>(agent, 'GET', `/tickets/${ticketId}/entries?after=${first}&limit=1`);
    expect(rest.items.map((e) => e.id)).toEqual([ids[0]]);
    const last = await h.ok<{ items: EntryDto[] }>(agent, 'GET', `/tickets/${ticketId}/entries?after=${ids[0]}`);
    expect(last.items.map((e) => e.id)).toEqual([ids[1]]);
  });
});
