/**
 * Room names, in one place. Every room is prefixed by its tenant, so a room name can
 * never be shared across tenants, and clients never name rooms themselves: the hub joins
 * them after checking access.
 */
export const rooms = {
  /** All staff sockets of a tenant: the whole event stream (queue, boards in the console). */
  staff: (tenantId: string) => `t:${tenantId}:staff`,
  /** Staff viewing one ticket: presence and typing signals. */
  ticket: (tenantId: string, ticketId: string) => `t:${tenantId}:ticket:${ticketId}`,
  /** Customer sockets following one ticket: its public events and agents' reply typing. */
  customerTicket: (tenantId: string, ticketId: string) => `t:${tenantId}:cust:ticket:${ticketId}`,
  /** One customer's sockets (new tickets of theirs appear in their list). */
  customerUser: (tenantId: string, userId: string) => `t:${tenantId}:cust:user:${userId}`,
  /** Widget visitors of a tenant (agent availability, never anyone's data). */
  widgets: (tenantId: string) => `t:${tenantId}:cust:widgets`,
  /** Wall boards of a tenant. */
  board: (tenantId: string) => `t:${tenantId}:board`,
} as const;
