import { describe, expect, it } from 'vitest';
import { applyEvent, matches } from './tickets.ts';
import type { DomainEvent, TicketDto } from './types.ts';

const base: TicketDto = {
  id: 't1',
  number: 7,
  subject: 'Printer on fire',
  status: 'open',
  priority: 'normal',
  channel: 'portal',
  requester: { id: 'c1', name: 'Carla', email: 'c@x.test' },
  organisationId: null,
  assigneeId: 'a1',
  teamId: 'team1',
  categoryId: null,
  tags: [],
  customFields: {},
  sla: { state: null, firstResponseDueAt: null, nextResponseDueAt: null, resolutionDueAt: null, breachedAt: null },
  ai: null,
  mergedIntoId: null,
  version: 3,
  entryCount: 1,
  firstResponseAt: null,
  lastCustomerMessageAt: null,
  lastAgentReplyAt: null,
  solvedAt: null,
  createdAt: '2026-01-01T00:00:00.000Z',
  updatedAt: '2026-01-01T00:00:00.000Z',
};

const event = (type: DomainEvent['type'], data: Record<string, unknown>): DomainEvent => ({
  seq: 10,
  type,
  ticketId: 't1',
  audience: 'staff',
  actor: { id: 'a2', name: 'Ben', kind: 'user' },
  data,
  at: '2026-01-02T00:00:00.000Z',
});

describe('applyEvent', () => {
  it('applies a newer status change', () => {
    expect(applyEvent(base, event('ticket.status_changed', { from: 'open', to: 'pending', version: 4 }))).toMatchObject({
      status: 'pending',
      version: 4,
      updatedAt: '2026-01-02T00:00:00.000Z',
    });
  });

  it('ignores an event older than the snapshot (replays are harmless)', () => {
    expect(applyEvent(base, event('ticket.status_changed', { from: 'new', to: 'open', version: 3 }))).toBeNull();
  });

  it('applies field changes and assignment', () => {
    const updated = applyEvent(
      base,
      event('ticket.updated', { changes: { priority: { from: 'normal', to: 'urgent' }, tags: { from: [], to: ['vip'] } }, version: 4 }),
    )!;
    expect(updated).toMatchObject({ priority: 'urgent', tags: ['vip'] });
    expect(applyEvent(updated, event('ticket.assigned', { to: { assigneeId: null, teamId: 'team2' }, version: 5 }))).toMatchObject({
      assigneeId: null,
      teamId: 'team2',
    });
  });

  it('counts entries and records reply times', () => {
    const next = applyEvent(
      base,
      event('entry.added', { entry: { kind: 'reply', createdAt: '2026-01-02T00:00:00.000Z' }, ticketVersion: 4 }),
    )!;
    expect(next).toMatchObject({
      entryCount: 2,
      lastAgentReplyAt: '2026-01-02T00:00:00.000Z',
      firstResponseAt: '2026-01-02T00:00:00.000Z',
    });
  });

  it('ignores events of other tickets', () => {
    expect(applyEvent(base, { ...event('ticket.updated', { version: 9 }), ticketId: 't2' })).toBeNull();
  });
});

describe('matches', () => {
  const me = { id: 'a1', teamIds: ['team1'] };
  it.each([
    [{ assigneeId: 'me' }, true],
    [{ assigneeId: 'none' }, false],
    [{ teamId: 'mine' }, true],
    [{ status: ['pending' as const] }, false],
    [{ q: '#7' }, true],
    [{ q: 'fire' }, true],
    [{ q: 'water' }, false],
  ])('%j → %s', (filter, expected) => {
    expect(matches(base, filter, me)).toBe(expected);
  });
});
