/**
 * The one socket event contract, shared by the hub, web and tests. No server code here:
 * web imports it through `@switchboard/realtime/protocol`.
 *
 * Namespaces: `/agent` (staff, session cookie), `/customer` (portal session or widget
 * token), `/board` (wall-display token, read-only). Every inbound payload is validated
 * with the schemas below; every request-style event answers through an ack of shape
 * {@link Ack}.
 */
import { z } from 'zod';
import type { EntryDto } from '@switchboard/api/conversation/conversation.schema';
import { domainEventSchema, type DomainEvent } from '@switchboard/api/events/event-types';
import { widgetMessageSchema } from '@switchboard/api/widget/widget.schema';

export type { DomainEvent };

/** Error codes a socket ack or `error` event can carry. */
export const SOCKET_ERROR_CODES = [
  'bad_request',
  'validation_failed',
  'unauthenticated',
  'forbidden',
  'not_found',
  'rate_limited',
  'too_many_rooms',
  'payload_too_large',
  'unavailable',
  'internal',
] as const;
/** One of {@link SOCKET_ERROR_CODES}. */
export type SocketErrorCode = (typeof SOCKET_ERROR_CODES)[number];

/** Every ack: success with data, or a coded error. */
export type Ack<T> = { ok: true; data: T } | { ok: false; error: { code: SocketErrorCode; message: string } };

const objectId = z.string().regex(/^[0-9a-f]{24}$/i, 'must be a 24-character hex id');

/** A person as presence shows them. */
export const presenceUserSchema = z.object({ id: z.string(), name: z.string() });
/** Presence person. */
export type PresenceUser = z.infer<typeof presenceUserSchema>;

/** Inbound payload schemas, per event name. */
export const clientPayloads = {
  /** Join a ticket's room: see viewers and typing, be listed as a viewer. */
  'ticket:join': z.object({ ticketId: objectId }).strict(),
  'ticket:leave': z.object({ ticketId: objectId }).strict(),
  /** Typing state in a ticket (`note` never reaches customers). */
  'ticket:typing': z.object({ ticketId: objectId, kind: z.enum(['reply', 'note']), active: z.boolean() }).strict(),
  /** Missed events after `after` (gap-free, in order). Customers must pass a ticketId. */
  resync: z
    .object({ after: z.number().int().min(0), limit: z.number().int().min(1).max(500).optional(), ticketId: objectId.optional() })
    .strict(),
  /** An agent's availability. */
  'agent:status': z.object({ status: z.enum(['online', 'away']) }).strict(),
  /**
   * A chat message from a customer (widget visitor or portal): opens a ticket when
   * `ticketId` is absent; `clientKey` makes retries safe (never stored twice).
   */
  'message:send': widgetMessageSchema,
  /** The sender has read the ticket's conversation up to this entry (read receipts). */
  'message:read': z.object({ ticketId: objectId, entryId: objectId }).strict(),
  /** Whether a suggested article answered the visitor's question. */
  'kb:feedback': z
    .object({ articleId: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/), helped: z.boolean(), q: z.string().trim().min(1).max(200) })
    .strict(),
} as const;

/** Inbound event names. */
export type ClientEventName = keyof typeof clientPayloads;
/** Payload of an inbound event. */
export type ClientPayload<E extends ClientEventName> = z.infer<(typeof clientPayloads)[E]>;

/** How far each side has read a ticket's conversation (entry ids; null = nothing yet). */
export interface ReadMarks {
  customer: string | null;
  agent: string | null;
}

/** Ack data per inbound event. */
export interface ClientAckData {
  'ticket:join': { viewers: PresenceUser[]; replying: PresenceUser[]; read?: ReadMarks };
  'ticket:leave': Record<string, never>;
  'ticket:typing': { collision: PresenceUser[] };
  resync: { events: DomainEvent[]; cursor: number; more: boolean };
  'agent:status': { status: 'online' | 'away' };
  /** `seq`: the log position of the message's `entry.added` event (null for a retry of a stored message). */
  'message:send': { ticketId: string; entry: EntryDto; duplicate: boolean; ticketCreated: boolean; seq: number | null };
  'message:read': { read: ReadMarks };
  'kb:feedback': Record<string, never>;
}

/** Client → server events (socket.io typed map). */
export type ClientToServerEvents = {
  [E in ClientEventName]: (payload: ClientPayload<E>, ack: (response: Ack<ClientAckData[E]>) => void) => void;
};

/** Server → client events (socket.io typed map). */
export interface ServerToClientEvents {
  /** A domain event with its per-tenant `seq` (staff get the whole tenant stream). */
  event: (event: DomainEvent) => void;
  /** Who is viewing a ticket right now. */
  'presence:viewers': (payload: { ticketId: string; viewers: PresenceUser[] }) => void;
  /** Agents online/away in the tenant. */
  'presence:agents': (payload: { agents: Array<PresenceUser & { status: 'online' | 'away' }> }) => void;
  /** Someone started/stopped typing in a ticket. */
  'ticket:typing': (payload: { ticketId: string; user: PresenceUser; kind: 'reply' | 'note'; active: boolean }) => void;
  /** A second agent started replying while another one is. */
  'ticket:collision': (payload: { ticketId: string; replying: PresenceUser[] }) => void;
  /** Welcome after connecting: who you are and where the log is. */
  hello: (payload: { userId: string | null; tenantId: string; role: string; head: number }) => void;
  /** A coded error not tied to an ack (e.g. before a forced disconnect). */
  error: (payload: { code: SocketErrorCode; message: string }) => void;
  /** This node is shutting down: reconnect (to another node). */
  'server:shutdown': (payload: { reconnect: boolean }) => void;
  /** The other side read a ticket's conversation up to `entryId` (customers hear agents, agents hear customers). */
  'ticket:read': (payload: { ticketId: string; entryId: string; reader: 'customer' | 'agent'; user: PresenceUser; at: string }) => void;
  /** Widget visitors: how many agents are online (0 = the widget switches to offline mode). */
  'widget:availability': (payload: { agentsOnline: number }) => void;
}

/** Validates a wire event (clients use this on what they receive). */
export const wireEventSchema = domainEventSchema;
