import { z } from 'zod';

/**
 * The catalogue of domain events, named `<aggregate>.<past-tense>`. Services emit these
 * explicitly (never from model hooks); the realtime fan-out, search indexing, triage and
 * SLA listeners each subscribe once. This file has no server code: web and realtime
 * import it for the event contract.
 */
export const EVENT_TYPES = [
  'ticket.created',
  'ticket.updated',
  'ticket.status_changed',
  'ticket.assigned',
  'ticket.merged',
  'ticket.categorized',
  'entry.added',
  'time_entry.logged',
  'ticket.sla_updated',
  'ticket.sla_warning',
  'ticket.sla_breached',
  'sla_policy.changed',
  'article.created',
  'article.updated',
  'article.published',
  'article.unpublished',
  'article.deleted',
  'log.gap_filled',
] as const;

/** One of {@link EVENT_TYPES}. */
export type EventType = (typeof EVENT_TYPES)[number];

/**
 * Who may receive an event: `staff` (agents, managers, admins, boards) or `public`
 * (also the ticket's requester and organisation). Internal notes are always `staff`.
 */
export type Audience = 'staff' | 'public';

/** An event as stored in the log and delivered to clients. */
export const domainEventSchema = z.object({
  seq: z.number().int().positive(),
  type: z.enum(EVENT_TYPES),
  ticketId: z.string().nullable(),
  audience: z.enum(['staff', 'public']),
  actor: z.object({ id: z.string().nullable(), name: z.string(), kind: z.enum(['user', 'system']) }),
  data: z.record(z.string(), z.unknown()),
  at: z.string(),
});

/** A domain event in its wire form (ids as strings, dates as ISO strings). */
export type DomainEvent = z.infer<typeof domainEventSchema>;
