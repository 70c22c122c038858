import { createHash } from 'node:crypto';
import { AppError } from '../lib/errors.ts';
import type { Tenant } from '../tenants/tenant.model.ts';
import type { SlaCalendarDoc, SlaEscalationRule, SlaPolicyDoc } from './sla.model.ts';
import { parseBusinessCalendar, parseSlaPolicy, WEEKDAYS, type BusinessCalendar, type SlaPolicy } from './sla.schema.ts';

/** The calendar id a pure policy carries when it counts in the helpdesk's own business hours. */
export const TENANT_CALENDAR_ID = 'tenant-hours';

/** Rethrows a parse failure with field details in the API's shape (`[{ path: '/hours/monday/0', message }]`). */
export function withApiPaths<T>(parse: () => T): T {
  try {
    return parse();
  } catch (error) {
    if (error instanceof AppError && error.code === 'validation_failed') {
      const issues = (error.details as { issues?: Array<{ path: string; message: string }> } | undefined)?.issues ?? [];
      throw new AppError(
        'validation_failed',
        error.message,
        issues.map((issue) => ({ path: `/${issue.path.replace(/\./g, '/')}`, message: issue.message })),
      );
    }
    throw error;
  }
}

/**
 * The helpdesk's own business hours as a calendar. Tenants store them as
 * `[{ weekday: 1–7, intervals }]` (Monday is 1); calendars name their weekdays. Entries for
 * the same weekday are merged; overlaps are refused like in any calendar.
 */
export function calendarFromTenant(tenant: Pick<Tenant, 'timezone' | 'businessHours'>): BusinessCalendar {
  const hours: Record<string, Array<{ start: string; end: string }>> = {};
  for (const { weekday, intervals } of tenant.businessHours) {
    const day = WEEKDAYS[weekday - 1];
    if (!day)
      throw new AppError('validation_failed', `The helpdesk's business hours name weekday ${weekday}; use 1 (Monday) to 7 (Sunday).`);
    hours[day] = [...(hours[day] ?? []), ...intervals.map(({ start, end }) => ({ start, end }))];
  }
  return withApiPaths(() => parseBusinessCalendar({ name: 'Business hours', timeZone: tenant.timezone, hours }));
}

/** A stored calendar in its pure form. */
export function pureCalendar(doc: Pick<SlaCalendarDoc, 'name' | 'timeZone' | 'hours' | 'holidays'>): BusinessCalendar {
  return parseBusinessCalendar({
    name: doc.name,
    timeZone: doc.timeZone,
    hours: Object.fromEntries(WEEKDAYS.map((day) => [day, (doc.hours[day] ?? []).map(({ start, end }) => ({ start, end }))])),
    holidays: doc.holidays.map((h) => ({
      date: h.date,
      ...(h.name ? { name: h.name } : {}),
      ...(h.hours ? { hours: h.hours.map(({ start, end }) => ({ start, end })) } : {}),
    })),
  });
}

/** A stored policy in its pure form (ids as hex strings; the tenant's hours as {@link TENANT_CALENDAR_ID}). */
export function purePolicy(doc: Omit<SlaPolicyDoc, 'tenantId' | 'createdAt' | 'updatedAt' | 'escalations' | 'active'>): SlaPolicy {
  const targets = Object.fromEntries(Object.entries(doc.targetMinutes).filter(([, minutes]) => typeof minutes === 'number'));
  return parseSlaPolicy({
    id: doc._id.toHexString(),
    name: doc.name,
    order: doc.order,
    conditions: {
      priorities: doc.conditions.priorities,
      channels: doc.conditions.channels,
      organisationIds: doc.conditions.organisationIds.map((id) => id.toHexString()),
      categoryIds: doc.conditions.categoryIds.map((id) => id.toHexString()),
    },
    targetMinutes: targets,
    warningThresholdPercent: doc.warningThresholdPercent,
    pauseStatuses: doc.pauseStatuses,
    calendarId: doc.calendarId ? doc.calendarId.toHexString() : TENANT_CALENDAR_ID,
  });
}

/** Content hash of what a ticket is measured against: same policy, calendar and escalations, same fingerprint. */
export function fingerprintOf(policy: SlaPolicy, calendar: BusinessCalendar, escalations: readonly SlaEscalationRule[]): string {
  const rules = escalations.map((rule) => ({ on: rule.on, action: rule.action, teamId: rule.teamId ? rule.teamId.toHexString() : null }));
  return createHash('sha256').update(JSON.stringify({ policy, calendar, rules })).digest('hex').slice(0, 32);
}
