import { z } from 'zod';

/** Mail preferences per kind of notification. */
export const emailPreferencesSchema = z
  .object({
    reply: z.boolean().describe('Customers: an agent replied to my ticket'),
    assignment: z.boolean().describe('Agents: a ticket was assigned to me'),
    mention: z.boolean().describe('Agents: someone mentioned me in an internal note'),
    slaEscalation: z.boolean().describe('Managers: a ticket breached its SLA'),
    csat: z.boolean().describe('Customers: the satisfaction survey after a ticket is solved'),
  })
  .strict();

/** GET and PUT /api/v1/me/notification-preferences. */
export const notificationPreferencesSchema = z
  .object({
    email: emailPreferencesSchema,
    digest: z.boolean().describe('Combine notifications about one ticket that arrive close together into one mail'),
  })
  .strict();
/** Notification preferences. */
export type NotificationPreferencesDto = z.infer<typeof notificationPreferencesSchema>;
