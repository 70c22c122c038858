import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DomainEvent } from '../events/event-types.ts';
import { ApiHarness, expectError, type Person, type TenantFixture } from '../testing/api-harness.ts';
import { STATUS_TRANSITIONS, type TicketStatus } from './ticket-status.ts';

interface TicketBody {
  id: string;
  number: number;
  status: TicketStatus;
  assigneeId: string | null;
  customFields: Record<string, unknown>;
  entryCount: number;
  version: number;
}

/** The version an event says its ticket reached. */
function versionOf(event: DomainEvent): number {
  const data = event.data as { version?: number; ticketVersion?: number };
  return data.version ?? data.ticketVersion ?? Number.NaN;
}

describe('tickets under concurrency (through the API, on the provisioned server)', () => {
  let h: ApiHarness;
  let tenant: TenantFixture;
  let agent: Person;
  let agent2: Person;

  beforeAll(async () => {
    h = await ApiHarness.start({ label: 'concurrency' });
    tenant = await h.signUpTenant();
    [agent, agent2] = await Promise.all([h.createPerson(tenant, 'agent'), h.createPerson(tenant, 'agent')]);
  });
  afterAll(async () => {
    await h.close();
  });

  /** The whole log, read the way a client resyncs: small pages from `after=0` to the end. */
  async function readLog(limit = 500): Promise<DomainEvent[]> {
    const events: DomainEvent[] = [];
    let cursor = 0;
    for (;;) {
      const page = await h.ok<{ events: DomainEvent[]; cursor: number; more: boolean }>(
        tenant.admin,
        'GET',
        `/events?after=${cursor}&limit=${limit}`,
      );
      events.push(...page.events);
      if (page.events.length === 0) return events;
      expect(page.cursor).toBe(page.events.at(-1)!.seq);
      cursor = page.cursor;
    }
  }

  it('applies or cleanly refuses every one of many parallel changes, loses none, and logs exactly one event per change', async () => {
    const created = await h.ok<{ ticket: TicketBody }>(tenant.admin, 'POST', '/tickets', {
      subject: 'Busy ticket',
      body: 'Everyone at once',
      requester: { email: 'busy@example.test' },
      assigneeId: agent.id,
    });
    const id = created.ticket.id;
    expect(created.ticket.status).toBe('open');

    const patches = Array.from({ length: 50 }, (_, i) => ({
      kind: 'patch',
      who: i % 2 ? agent : tenant.admin,
      method: 'PATCH',
      url: `/tickets/${id}`,
      body: { customFields: { [`field_${i}`]: i } },
    }));
    const entries = Array.from({ length: 12 }, (_, i) => ({
      kind: 'entry',
      who: agent2,
      method: 'POST',
      url: `/tickets/${id}/entries`,
      body: { kind: i % 3 ? 'reply' : 'note', body: `Entry ${i}` },
    }));
    const assigns = Array.from({ length: 6 }, (_, i) => ({
      kind: 'assign',
      who: tenant.admin,
      method: 'POST',
      url: `/tickets/${id}/assign`,
      body: { assigneeId: (i % 2 ? agent : agent2).id },
    }));
    const statuses = (['pending', 'open', 'on_hold', 'solved', 'open', 'pending', 'solved', 'on_hold'] as const).map((status) => ({
      kind: 'status',
      who: agent,
      method: 'POST',
      url: `/tickets/${id}/status`,
      body: { status },
    }));
    const requests = [...patches, ...entries, ...assigns, ...statuses].sort((x, y) =>
      (x.url + JSON.stringify(x.body)).localeCompare(y.url + JSON.stringify(y.body)),
    );

    const responses = await Promise.all(requests.map((r) => h.request(r.who.auth, { method: r.method, url: r.url, body: r.body })));

    const applied = { patch: 0, entry: 0, assign: 0, status: 0 };
    for (const [index, response] of responses.entries()) {
      const request = requests[index]!;
      if (response.statusCode < 300) {
        applied[request.kind as keyof typeof applied]++;
        continue;
      }
      const error = expectError(response, 409);
      expect(request.kind, `${request.url} ${JSON.stringify(request.body)}: ${response.body}`).toBe('status');
      expect(error.code).toBe('invalid_transition');
      const details = error.details as { from: TicketStatus; to: TicketStatus; allowed: TicketStatus[] };
      expect(details.allowed).toEqual(STATUS_TRANSITIONS[details.from]);
      expect(details.allowed).not.toContain(details.to);
    }
    expect(applied.patch).toBe(50);
    expect(applied.entry).toBe(12);
    expect(applied.assign).toBe(6);
    expect(applied.status).toBeGreaterThan(0);

    const final = await h.ok<TicketBody>(tenant.admin, 'GET', `/tickets/${id}`);
    expect(final.customFields).toEqual(Object.fromEntries(Array.from({ length: 50 }, (_, i) => [`field_${i}`, i])));
    expect(final.entryCount).toBe(1 + 12);
    expect(final.version).toBe(1 + applied.patch + applied.entry + applied.assign + applied.status);

    const log = await readLog(7);
    expect(log.map((e) => e.seq)).toEqual(Array.from({ length: log.length }, (_, i) => i + 1));
    expect(await h.domain.models.Event.countDocuments({ tenantId: tenant.id })).toBe(log.length);
    const published = h.published.filter((batch) => batch.tenantId === tenant.id).flatMap((batch) => batch.events.map((e) => e.seq));
    expect(published.sort((x, y) => x - y)).toEqual(log.map((e) => e.seq));

    const mine = log.filter((e) => e.ticketId === id);
    // One event per version (creation: ticket.created + its first entry at version 1), in
    // version order: nothing lost, nothing doubled, nothing stale after fresh.
    expect(mine[0]!.type).toBe('ticket.created');
    expect(mine.slice(1).map(versionOf)).toEqual(Array.from({ length: final.version }, (_, i) => i + 1));
    const count = (type: string) => mine.filter((e) => e.type === type).length;
    expect(count('ticket.updated')).toBe(applied.patch);
    expect(count('entry.added')).toBe(1 + applied.entry);
    expect(count('ticket.assigned')).toBe(applied.assign);
    expect(count('ticket.status_changed')).toBe(applied.status);
    const lastStatus = mine.filter((e) => e.type === 'ticket.status_changed').at(-1)!;
    expect(final.status).toBe((lastStatus.data as { to: TicketStatus }).to);
    const lastAssignment = mine.filter((e) => e.type === 'ticket.assigned').at(-1)!;
    expect(final.assigneeId).toBe((lastAssignment.data as { to: { assigneeId: string } }).to.assigneeId);
  });

  it('numbers tickets opened in parallel uniquely and without holes', async () => {
    const before = await h.ok<{ items: TicketBody[] }>(tenant.admin, 'GET', '/tickets?sort=created_desc&limit=1');
    const start = before.items[0]?.number ?? 0;
    const responses = await Promise.all(
      Array.from({ length: 30 }, (_, i) =>
        h.request(i % 2 ? agent.auth : tenant.admin.auth, {
          method: 'POST',
          url: '/tickets',
          body: { subject: `Parallel ${i}`, body: 'x', requester: { email: `p${i}@example.test` } },
        }),
      ),
    );
    expect(responses.map((r) => r.statusCode)).toEqual(Array.from({ length: 30 }, () => 201));
    const numbers = responses.map((r) => (r.json() as { ticket: TicketBody }).ticket.number).sort((x, y) => x - y);
    expect(numbers).toEqual(Array.from({ length: 30 }, (_, i) => start + i + 1));
  });
  it('refuses a reply drafted on an old version when something that matters changed, unless forced', async () => {
    const { ticket } = await h.ok<{ ticket: TicketBody }>(tenant.admin, 'POST', '/tickets', {
      subject: 'Guarded',
      body: 'x',
      requester: { email: 'guard@example.test' },
      assigneeId: agent.id,
    });
    const drafted = ticket.version;
    await h.ok(tenant.admin, 'PATCH', `/tickets/${ticket.id}`, { priority: 'high' });
    const harmless = await h.request(agent.auth, {
      method: 'POST',
      url: `/tickets/${ticket.id}/entries`,
      body: { kind: 'reply', body: 'First', basedOnVersion: drafted },
    });
    expect(harmless.statusCode).toBe(201);
    const reassigned = await h.ok<TicketBody>(tenant.admin, 'POST', `/tickets/${ticket.id}/assign`, { assigneeId: agent2.id });
    const stale = expectError(
      await h.request(agent.auth, {
        method: 'POST',
        url: `/tickets/${ticket.id}/entries`,
        body: { kind: 'reply', body: 'Second', basedOnVersion: drafted },
      }),
      409,
      'conflict',
    );
    const details = stale.details as { currentVersion: number; changes: DomainEvent[] };
    expect(details.currentVersion).toBe(reassigned.version);
    expect(details.changes.map((e) => e.type)).toEqual(['ticket.assigned']);
    const forced = await h.request(agent.auth, {
      method: 'POST',
      url: `/tickets/${ticket.id}/entries`,
      body: { kind: 'reply', body: 'Second', basedOnVersion: drafted, force: true },
    });
    expect(forced.statusCode).toBe(201);
  });

  it('stores a retried entry once (same clientKey) and appends one event for it', async () => {
    const { ticket } = await h.ok<{ ticket: TicketBody }>(tenant.admin, 'POST', '/tickets', {
      subject: 'Retry',
      body: 'x',
      requester: { email: 'retry@example.test' },
    });
    const send = () =>
      h.request(agent.auth, {
        method: 'POST',
        url: `/tickets/${ticket.id}/entries`,
        body: { kind: 'note', body: 'Only once', clientKey: 'retry-key-1' },
      });
    const [first, second] = [await send(), await send()];
    expect([first.statusCode, second.statusCode]).toEqual([201, 200]);
    expect(second.json()).toEqual(first.json());
    const after = await h.ok<TicketBody>(tenant.admin, 'GET', `/tickets/${ticket.id}`);
    expect(after.entryCount).toBe(2);
    const events = (await readLog()).filter((e) => e.ticketId === ticket.id && e.type === 'entry.added');
    expect(events).toHaveLength(2);
  });

  it('merges: the source closes with a link, both tickets get a system entry, and each change has its own version and event', async () => {
    const open = async (subject: string) =>
      (
        await h.ok<{ ticket: TicketBody }>(tenant.admin, 'POST', '/tickets', {
          subject,
          body: 'x',
          requester: { email: 'merge@example.test' },
        })
      ).ticket;
    const [source, target] = [await open('Duplicate <b>one</b>'), await open('Original')];
    await h.ok(tenant.admin, 'PATCH', `/users/${agent2.id}`, { name: 'Mallory <img src=x onerror=alert(1)>' });
    const merged = await h.ok<TicketBody & { mergedIntoId: string }>(agent2, 'POST', `/tickets/${source.id}/merge`, { intoId: target.id });
    expect(merged).toMatchObject({ status: 'closed', mergedIntoId: target.id, entryCount: 2, version: 3 });
    const into = await h.ok<TicketBody>(tenant.admin, 'GET', `/tickets/${target.id}`);
    expect(into).toMatchObject({ status: 'new', entryCount: 2, version: 2 });
    const entries = await h.ok<{ items: Array<{ kind: string; bodyHtml: string }> }>(tenant.admin, 'GET', `/tickets/${target.id}/entries`);
    expect(entries.items.at(-1)!.kind).toBe('system');
    expect(entries.items.at(-1)!.bodyHtml).toContain('&lt;b&gt;one&lt;/b&gt;');
    expect(entries.items.at(-1)!.bodyHtml).toContain('Mallory &lt;img');
    expect(entries.items.at(-1)!.bodyHtml).not.toContain('<img');
    const log = await readLog();
    for (const ticket of [merged, into]) {
      const mine = log.filter((e) => e.ticketId === ticket.id && e.type !== 'ticket.created');
      expect(mine.map(versionOf)).toEqual(Array.from({ length: ticket.version }, (_, i) => i + 1));
    }
  });
});
