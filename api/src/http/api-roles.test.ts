import { z } from 'zod';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiTokenDtoSchema } from '../auth/auth.schema.ts';
import { categoryDtoSchema } from '../categories/category.schema.ts';
import { entryDtoSchema } from '../conversation/conversation.schema.ts';
import { csatSummarySchema, csatSurveyDtoSchema } from '../csat/csat.schema.ts';
import { domainEventSchema, type DomainEvent } from '../events/event-types.ts';
import type { ErrorCode } from '../lib/errors.ts';
import { oid } from '../lib/ids.ts';
import { macroDtoSchema } from '../macros/macro.schema.ts';
import { mailSettingsDtoSchema } from '../mail/mail.schema.ts';
import { notificationPreferencesSchema } from '../notifications/notification.schema.ts';
import { organisationDtoSchema } from '../organisations/organisation.schema.ts';
import { scheduleDtoSchema } from '../recurring/recurring.schema.ts';
import { teamDtoSchema } from '../teams/team.schema.ts';
import { tenantDtoSchema } from '../tenants/tenant.schema.ts';
import {
  ApiHarness,
  expectError,
  randomIp,
  TEST_HOST,
  uniqueSuffix,
  wrongTotpCode,
  type ApiRequest,
  type Credentials,
  type Person,
} from '../testing/api-harness.ts';
import { multipartBody } from '../testing/multipart.ts';
import { buildTenantWorld, type TenantWorld } from '../testing/tenant-world.ts';
import { ticketDtoSchema } from '../tickets/ticket.schema.ts';
import { timeEntryDtoSchema } from '../time-entries/time-entry.schema.ts';
import { userDtoSchema } from '../users/user.schema.ts';
import { webhookDeliveryDtoSchema, webhookDtoSchema } from '../webhooks/webhook.schema.ts';
import { widgetSecretSchema, widgetSessionSchema } from '../widget/widget.schema.ts';
import { okSchema, page } from './route-schemas.ts';
import {
  articleDtoSchema,
  articleSummarySchema,
  helpArticleSchema,
  helpArticleSummarySchema,
  sectionDtoSchema,
  versionDtoSchema,
  versionSummarySchema,
} from '../kb/kb.schema.ts';
import { articleSearchResultSchema, ticketSearchResultSchema } from '../search/search.schema.ts';
import { boardCreatedSchema, boardDataSchema, boardDtoSchema, boardFiguresSchema } from '../boards/board.schema.ts';
import { slaCalendarDtoSchema, slaPolicyDtoSchema, slaReportDtoSchema } from '../sla/sla-config.schema.ts';

/**
 * Every route, as every role. Each case says what each role gets: the status, the body
 * shape of a success, and the error shape (with the code its status implies) of a refusal.
 * A route of the app without a case here fails the coverage test.
 */

const ROLE_NAMES = ['admin', 'manager', 'agent', 'customer', 'anonymous'] as const;
type RoleName = (typeof ROLE_NAMES)[number];
type Statuses = Record<RoleName, number>;

interface Sent extends ApiRequest {
  /** Who sends it, when not the role's own signed-in session. */
  as?: Credentials | null;
}

interface RoleCase {
  label: string;
  request: (w: TenantWorld, role: RoleName, who: Person | null) => Sent | Promise<Sent>;
  status: Statuses;
  /** Shape of a 2xx body. */
  body?: z.ZodType;
  /** More assertions on a 2xx answer. */
  check?: (body: unknown, w: TenantWorld, role: RoleName) => void | Promise<void>;
}

/** Everyone signed in gets `status`; anonymous callers 401; `overrides` per role. */
function each(status: number, overrides: Partial<Statuses> = {}): Statuses {
  return { admin: status, manager: status, agent: status, customer: status, anonymous: 401, ...overrides };
}
const staffOnly = (status: number) => each(status, { customer: 403 });
const managers = (status: number) => each(status, { agent: 403, customer: 403 });
const adminOnly = (status: number) => each(status, { manager: 403, agent: 403, customer: 403 });

const CODE_OF: Record<number, ErrorCode[]> = {
  400: ['validation_failed', 'bad_request'],
  401: ['unauthenticated'],
  403: ['forbidden'],
  404: ['not_found'],
};

const meSchema = z.object({
  user: userDtoSchema,
  tenant: z.object({ id: z.string(), slug: z.string(), name: z.string() }),
  mfaPending: z.boolean(),
});
const auditPage = z.object({
  items: z.array(
    z.object({
      id: z.string(),
      action: z.string(),
      actorId: z.string().nullable(),
      actorName: z.string(),
      targetId: z.string().nullable(),
      at: z.string(),
    }),
  ),
});
const eventsPage = z.object({ events: z.array(domainEventSchema), cursor: z.number(), more: z.boolean() });
const items = <T extends z.ZodType>(item: T) => z.object({ items: z.array(item) });

describe('every route for every role', () => {
  let h: ApiHarness;
  let w: TenantWorld;
  /** A person whose password the reset cases set (never signed in otherwise). */
  let resettable: Person;
  const mfaSecrets = new Map<RoleName, string>();

  const personOf = (role: RoleName): Person | null => (role === 'anonymous' ? null : w[role]);
  /** A valid recurring schedule for the customer's organisation. */
  const scheduleBody = () => ({
    name: 'Monthly check',
    organisationId: w.organisationId,
    requesterId: w.customer.id,
    kind: 'cron',
    rule: '0 9 1 * *',
    template: { subject: 'Check {{date}}', body: 'Monthly check' },
  });
  /** A solved ticket of the customer and the token of its satisfaction survey (made once). */
  let surveyed: Promise<{ ticketId: string; token: string }> | undefined;
  const solvedWithSurvey = () =>
    (surveyed ??= (async () => {
      const ticketId = await ticketFor('Rated');
      await h.ok(w.admin, 'POST', `/tickets/${ticketId}/status`, { status: 'solved' });
      const prepared = await h.domain.csat.prepare(oid(w.id), oid(ticketId));
      return { ticketId, token: prepared!.token };
    })());
  /** A new article written by the admin, published or not (for cases that change or delete one). */
  const freshArticle = async (published: boolean) => {
    const { id } = await h.ok<{ id: string }>(w.admin, 'POST', '/kb/articles', {
      title: `Fresh ${uniqueSuffix()}`,
      body: 'Text',
      format: 'text',
    });
    if (published) await h.ok(w.admin, 'POST', `/kb/articles/${id}/publish`, {});
    return id;
  };
  const ticketFor = async (subject: string) =>
    (await h.ok<{ ticket: { id: string } }>(w.admin, 'POST', '/tickets', { subject, body: 'Fresh ticket', requesterId: w.customer.id }))
      .ticket.id;

  const CASES: Record<string, RoleCase[]> = {
    'POST /tenants': [
      {
        label: 'sign up a tenant (open to anyone)',
        request: () => ({
          method: 'POST',
          url: '/tenants',
          body: {
            slug: `r-${uniqueSuffix()}`,
            name: 'Fresh',
            admin: { name: 'Fresh Admin', email: 'fresh@example.test', password: 'fresh-password-1' },
          },
        }),
        status: each(201, { anonymous: 201 }),
        body: z.object({ tenant: tenantDtoSchema, admin: userDtoSchema }),
      },
    ],
    'GET /tenant': [
      { label: 'read the tenant', request: () => ({ method: 'GET', url: '/tenant' }), status: staffOnly(200), body: tenantDtoSchema },
    ],
    'PATCH /tenant': [
      {
        label: 'change a setting',
        request: () => ({ method: 'PATCH', url: '/tenant', body: { aiConfidenceThreshold: 0.7 } }),
        status: adminOnly(200),
        body: tenantDtoSchema,
      },
    ],
    'POST /auth/login': [
      {
        label: 'sign in with the right password',
        request: (_w, role) => {
          const person = role === 'anonymous' ? w.outsider : w[role];
          return { method: 'POST', url: '/auth/login', body: { tenant: w.slug, email: person.email, password: person.password } };
        },
        status: each(200, { anonymous: 200 }),
        body: z.object({ user: userDtoSchema, mfaRequired: z.literal(false) }),
      },
      {
        label: 'sign in with a wrong password',
        request: (_w, role) => ({
          method: 'POST',
          url: '/auth/login',
          body: { tenant: w.slug, email: (role === 'anonymous' ? w.outsider : w[role]).email, password: 'not-the-password' },
        }),
        status: each(401, { anonymous: 401 }),
      },
    ],
    'POST /auth/mfa/verify': [
      {
        label: 'verify without a pending sign-in',
        request: () => ({ method: 'POST', url: '/auth/mfa/verify', body: { code: '123456' } }),
        status: each(400),
      },
    ],
    'POST /auth/logout': [
      {
        label: 'sign out (a second session of the role)',
        request: async (_w, role, who) => ({
          method: 'POST',
          url: '/auth/logout',
          as: who ? await h.login(w.slug, who.email, who.password, who.auth.ip) : null,
        }),
        status: each(200),
        body: okSchema,
      },
    ],
    'POST /auth/password-reset': [
      {
        label: 'request a reset link (always 202)',
        request: (_w, role) => ({
          method: 'POST',
          url: '/auth/password-reset',
          body: { tenant: w.slug, email: role === 'anonymous' ? 'nobody@example.test' : w[role].email },
        }),
        status: each(202, { anonymous: 202 }),
        body: okSchema,
      },
    ],
    'POST /auth/password-reset/complete': [
      {
        label: 'set a password with a valid token',
        request: async () => {
          const issued = await h.domain.auth.requestPasswordReset(w.slug, resettable.email, {});
          return {
            method: 'POST',
            url: '/auth/password-reset/complete',
            body: { tenant: w.slug, token: issued!.token, password: resettable.password },
          };
        },
        status: each(200, { anonymous: 200 }),
        body: okSchema,
      },
    ],
    'GET /me': [
      {
        label: 'who am I',
        request: () => ({ method: 'GET', url: '/me' }),
        status: each(200),
        body: meSchema,
        check: (body, _w, role) => expect((body as z.infer<typeof meSchema>).user.role).toBe(role),
      },
    ],
    'PUT /me/status': [
      {
        label: 'set my agent status',
        request: () => ({ method: 'PUT', url: '/me/status', body: { status: 'away' } }),
        status: staffOnly(200),
        body: userDtoSchema,
      },
    ],
    'POST /me/password': [
      {
        label: 'change my password (to the same one)',
        request: (_w, _role, who) => ({
          method: 'POST',
          url: '/me/password',
          body: { currentPassword: who?.password ?? 'x', newPassword: who?.password ?? 'long-enough-password' },
        }),
        status: each(200),
        body: okSchema,
      },
      {
        label: 'change my password with a wrong current one',
        request: () => ({
          method: 'POST',
          url: '/me/password',
          body: { currentPassword: 'wrong-password', newPassword: 'long-enough-password' },
        }),
        status: each(400),
      },
    ],
    'POST /me/mfa/setup': [
      {
        label: 'start TOTP enrolment',
        request: () => ({ method: 'POST', url: '/me/mfa/setup' }),
        status: staffOnly(200),
        body: z.object({ secret: z.string().min(16), uri: z.string().startsWith('otpauth://totp/') }),
        check: (body, _w, role) => void mfaSecrets.set(role, (body as { secret: string }).secret),
      },
    ],
    'POST /me/mfa/confirm': [
      {
        label: 'confirm enrolment with a wrong code',
        request: (_w, role) => ({
          method: 'POST',
          url: '/me/mfa/confirm',
          body: { code: mfaSecrets.has(role) ? wrongTotpCode(mfaSecrets.get(role)!) : '123456' },
        }),
        status: each(400),
      },
    ],
    'POST /me/mfa/disable': [
      {
        label: 'disable TOTP that is not enabled',
        request: () => ({ method: 'POST', url: '/me/mfa/disable', body: { code: '123456' } }),
        status: each(400),
      },
    ],
    'GET /me/tokens': [
      { label: 'list my tokens', request: () => ({ method: 'GET', url: '/me/tokens' }), status: each(200), body: items(apiTokenDtoSchema) },
    ],
    'POST /me/tokens': [
      {
        label: 'create a token',
        request: () => ({ method: 'POST', url: '/me/tokens', body: { name: 'ci', scopes: ['read'] } }),
        status: staffOnly(201),
        body: z.object({ token: z.string().startsWith('sbp_'), id: z.string(), prefix: z.string() }),
      },
    ],
    'DELETE /me/tokens/:id': [
      {
        label: 'revoke one of my tokens',
        request: async (_w, role, who) => {
          const id = who && role !== 'customer' ? (await h.ok<{ id: string }>(who, 'POST', '/me/tokens', { name: 'temp' })).id : w.tokenId;
          return { method: 'DELETE', url: `/me/tokens/${id}` };
        },
        status: each(200, { customer: 404 }),
        body: okSchema,
      },
    ],
    'GET /users': [
      { label: 'list people', request: () => ({ method: 'GET', url: '/users' }), status: staffOnly(200), body: page(userDtoSchema) },
    ],
    'POST /users': [
      {
        label: 'create the role below me',
        request: (_w, role) => ({
          method: 'POST',
          url: '/users',
          body: {
            email: `${role}-made-${uniqueSuffix()}@example.test`,
            name: 'Made',
            role: role === 'admin' ? 'manager' : role === 'manager' ? 'agent' : 'customer',
          },
        }),
        status: each(201, { customer: 403 }),
        body: userDtoSchema,
      },
      {
        label: 'create an admin',
        request: () => ({
          method: 'POST',
          url: '/users',
          body: { email: `admin-made-${uniqueSuffix()}@example.test`, name: 'Made', role: 'admin' },
        }),
        status: adminOnly(201),
        body: userDtoSchema,
      },
      {
        label: 'create a manager',
        request: () => ({
          method: 'POST',
          url: '/users',
          body: { email: `manager-made-${uniqueSuffix()}@example.test`, name: 'Made', role: 'manager' },
        }),
        status: adminOnly(201),
        body: userDtoSchema,
      },
    ],
    'GET /users/:id': [
      {
        label: 'read the customer (themselves, for the customer)',
        request: () => ({ method: 'GET', url: `/users/${w.customer.id}` }),
        status: each(200),
        body: userDtoSchema,
      },
      {
        label: 'read another customer',
        request: () => ({ method: 'GET', url: `/users/${w.colleague.id}` }),
        status: staffOnly(200),
        body: userDtoSchema,
      },
    ],
    'PATCH /users/:id': [
      {
        label: "edit a customer's profile",
        request: () => ({ method: 'PATCH', url: `/users/${w.outsider.id}`, body: { title: 'VIP' } }),
        status: staffOnly(200),
        body: userDtoSchema,
      },
      {
        label: "edit an agent's profile",
        request: () => ({ method: 'PATCH', url: `/users/${w.agent2.id}`, body: { skills: ['billing'] } }),
        status: managers(200),
        body: userDtoSchema,
      },
      {
        label: 'change a role',
        request: (_w, role) => ({ method: 'PATCH', url: `/users/${w.agent2.id}`, body: { role: role === 'admin' ? 'manager' : 'agent' } }),
        status: adminOnly(200),
        body: userDtoSchema,
      },
    ],
    'GET /organisations': [
      {
        label: 'list organisations',
        request: () => ({ method: 'GET', url: '/organisations' }),
        status: staffOnly(200),
        body: items(organisationDtoSchema),
      },
    ],
    'POST /organisations': [
      {
        label: 'create an organisation',
        request: (_w, role) => ({ method: 'POST', url: '/organisations', body: { name: `Org by ${role} ${uniqueSuffix()}` } }),
        status: staffOnly(201),
        body: organisationDtoSchema,
      },
    ],
    'GET /organisations/:id': [
      {
        label: 'read my organisation',
        request: () => ({ method: 'GET', url: `/organisations/${w.organisationId}` }),
        status: each(200),
        body: organisationDtoSchema,
        check: (body, _w, role) => expect((body as { notes: string }).notes).toBe(role === 'customer' ? '' : `Internal ${w.marker}`),
      },
      {
        label: 'read another organisation',
        request: () => ({ method: 'GET', url: `/organisations/${w.otherOrganisationId}` }),
        status: each(200, { customer: 404 }),
        body: organisationDtoSchema,
      },
    ],
    'PATCH /organisations/:id': [
      {
        label: 'edit an organisation',
        request: () => ({ method: 'PATCH', url: `/organisations/${w.otherOrganisationId}`, body: { domains: ['other.example'] } }),
        status: staffOnly(200),
        body: organisationDtoSchema,
      },
    ],
    'GET /teams': [
      { label: 'list teams', request: () => ({ method: 'GET', url: '/teams' }), status: staffOnly(200), body: items(teamDtoSchema) },
    ],
    'POST /teams': [
      {
        label: 'create a team',
        request: (_w, role) => ({ method: 'POST', url: '/teams', body: { name: `Team by ${role} ${uniqueSuffix()}` } }),
        status: managers(201),
        body: teamDtoSchema,
      },
    ],
    'PATCH /teams/:id': [
      {
        label: 'edit a team',
        request: () => ({ method: 'PATCH', url: `/teams/${w.teamId}`, body: { assignment: 'round_robin' } }),
        status: managers(200),
        body: teamDtoSchema,
      },
    ],
    'DELETE /teams/:id': [
      {
        label: 'delete a team',
        request: async () => ({
          method: 'DELETE',
          url: `/teams/${(await h.ok<{ id: string }>(w.admin, 'POST', '/teams', { name: `Doomed ${uniqueSuffix()}` })).id}`,
        }),
        status: managers(200),
        body: okSchema,
      },
    ],
    'GET /categories': [
      {
        label: 'list categories',
        request: () => ({ method: 'GET', url: '/categories' }),
        status: staffOnly(200),
        body: items(categoryDtoSchema),
      },
    ],
    'POST /categories': [
      {
        label: 'create a category',
        request: (_w, role) => ({ method: 'POST', url: '/categories', body: { name: `Cat by ${role} ${uniqueSuffix()}` } }),
        status: managers(201),
        body: categoryDtoSchema,
      },
    ],
    'PATCH /categories/:id': [
      {
        label: 'edit a category',
        request: () => ({ method: 'PATCH', url: `/categories/${w.categoryId}`, body: { skill: 'billing' } }),
        status: managers(200),
        body: categoryDtoSchema,
      },
    ],
    'GET /macros': [
      { label: 'list macros', request: () => ({ method: 'GET', url: '/macros' }), status: staffOnly(200), body: items(macroDtoSchema) },
    ],
    'POST /macros': [
      {
        label: 'create a shared macro',
        request: () => ({ method: 'POST', url: '/macros', body: { title: 'Shared one' } }),
        status: managers(201),
        body: macroDtoSchema,
      },
      {
        label: 'create a personal macro',
        request: () => ({ method: 'POST', url: '/macros', body: { title: 'Mine', visibility: 'personal' } }),
        status: staffOnly(201),
        body: macroDtoSchema,
      },
    ],
    'PATCH /macros/:id': [
      {
        label: 'edit a shared macro',
        request: () => ({ method: 'PATCH', url: `/macros/${w.macroId}`, body: { title: `Macro ${w.marker} v2` } }),
        status: managers(200),
        body: macroDtoSchema,
      },
      {
        label: "edit the agent's personal macro",
        request: () => ({ method: 'PATCH', url: `/macros/${w.personalMacroId}`, body: { title: 'Renamed' } }),
        status: each(404, { agent: 200 }),
        body: macroDtoSchema,
      },
    ],
    'DELETE /macros/:id': [
      {
        label: 'delete a shared macro',
        request: async () => ({
          method: 'DELETE',
          url: `/macros/${(await h.ok<{ id: string }>(w.admin, 'POST', '/macros', { title: 'Doomed' })).id}`,
        }),
        status: managers(200),
        body: okSchema,
      },
    ],
    'GET /tickets': [
      { label: 'list tickets', request: () => ({ method: 'GET', url: '/tickets' }), status: each(200), body: page(ticketDtoSchema) },
    ],
    'GET /tickets/count': [
      {
        label: 'count visible tickets',
        request: () => ({ method: 'GET', url: '/tickets/count' }),
        status: each(200),
        body: z.object({ count: z.number().int() }),
        check: (body, _w, role) => expect((body as { count: number }).count).toBeGreaterThanOrEqual(role === 'customer' ? 2 : 3),
      },
    ],
    'POST /tickets': [
      {
        label: 'open a ticket',
        request: () => ({ method: 'POST', url: '/tickets', body: { subject: 'Printer on fire', body: 'Smoke!' } }),
        status: each(201),
        body: z.object({ ticket: ticketDtoSchema, entry: entryDtoSchema }),
      },
      {
        label: 'open a ticket with a priority (a staff field)',
        request: () => ({ method: 'POST', url: '/tickets', body: { subject: 'Urgent', body: 'Now', priority: 'high' } }),
        status: staffOnly(201),
        body: z.object({ ticket: ticketDtoSchema, entry: entryDtoSchema }),
      },
    ],
    'GET /tickets/:id': [
      {
        label: "read the customer's ticket",
        request: () => ({ method: 'GET', url: `/tickets/${w.tickets.customer}` }),
        status: each(200),
        body: ticketDtoSchema,
      },
      {
        label: "read the outsider's ticket",
        request: () => ({ method: 'GET', url: `/tickets/${w.tickets.outsider}` }),
        status: each(200, { customer: 404 }),
        body: ticketDtoSchema,
      },
    ],
    'PATCH /tickets/:id': [
      {
        label: 'change the priority',
        request: () => ({ method: 'PATCH', url: `/tickets/${w.tickets.customer}`, body: { priority: 'high' } }),
        status: staffOnly(200),
        body: ticketDtoSchema,
      },
    ],
    'POST /tickets/:id/status': [
      {
        label: 'move a fresh ticket to pending',
        request: async (_w, role) => ({
          method: 'POST',
          url: `/tickets/${role === 'customer' ? w.tickets.customer : await ticketFor('Status')}/status`,
          body: { status: 'pending' },
        }),
        status: staffOnly(200),
        body: ticketDtoSchema,
      },
    ],
    'POST /tickets/:id/assign': [
      {
        label: 'assign to an agent',
        request: () => ({
          method: 'POST',
          url: `/tickets/${w.tickets.colleague}/assign`,
          body: { assigneeId: w.agent.id, teamId: w.teamId },
        }),
        status: staffOnly(200),
        body: ticketDtoSchema,
      },
    ],
    'POST /tickets/:id/merge': [
      {
        label: 'merge a fresh ticket into another',
        request: async (_w, role) => {
          const [from, into] =
            role === 'customer'
              ? [w.tickets.customer, w.tickets.colleague]
              : await Promise.all([ticketFor('Merge me'), ticketFor('Keep me')]);
          return { method: 'POST', url: `/tickets/${from}/merge`, body: { intoId: into } };
        },
        status: staffOnly(200),
        body: ticketDtoSchema,
      },
    ],
    'GET /tickets/:id/entries': [
      {
        label: "read the customer's conversation",
        request: () => ({ method: 'GET', url: `/tickets/${w.tickets.customer}/entries` }),
        status: each(200),
        body: items(entryDtoSchema),
        check: (body, _w, role) =>
          expect((body as { items: Array<{ id: string }> }).items.some((e) => e.id === w.noteId)).toBe(role !== 'customer'),
      },
    ],
    'POST /tickets/:id/entries': [
      {
        label: 'write a reply (staff) or a message (customer)',
        request: (_w, role) => ({
          method: 'POST',
          url: `/tickets/${w.tickets.customer}/entries`,
          body: { kind: role === 'customer' ? 'message' : 'reply', body: `From ${role}` },
        }),
        status: each(201),
        body: entryDtoSchema,
      },
      {
        label: 'write an internal note',
        request: () => ({ method: 'POST', url: `/tickets/${w.tickets.customer}/entries`, body: { kind: 'note', body: 'Internal' } }),
        status: staffOnly(201),
        body: entryDtoSchema,
      },
      {
        label: 'write a customer message',
        request: () => ({ method: 'POST', url: `/tickets/${w.tickets.customer}/entries`, body: { kind: 'message', body: 'Hello' } }),
        status: each(403, { customer: 201 }),
        body: entryDtoSchema,
      },
    ],
    'GET /tickets/:id/time-entries': [
      {
        label: 'read logged time',
        request: () => ({ method: 'GET', url: `/tickets/${w.tickets.customer}/time-entries` }),
        status: staffOnly(200),
        body: z.object({ items: z.array(timeEntryDtoSchema), totalMinutes: z.number(), billableMinutes: z.number() }),
      },
    ],
    'POST /tickets/:id/time-entries': [
      {
        label: 'log time',
        request: () => ({ method: 'POST', url: `/tickets/${w.tickets.customer}/time-entries`, body: { minutes: 10, billable: false } }),
        status: staffOnly(201),
        body: timeEntryDtoSchema,
      },
    ],
    'DELETE /tickets/:id/time-entries/:entryId': [
      {
        label: 'remove my own time entry',
        request: async (_w, role, who) => {
          const id =
            who && role !== 'customer'
              ? (await h.ok<{ id: string }>(who, 'POST', `/tickets/${w.tickets.customer}/time-entries`, { minutes: 5 })).id
              : w.timeEntryId;
          return { method: 'DELETE', url: `/tickets/${w.tickets.customer}/time-entries/${id}` };
        },
        status: staffOnly(200),
        body: okSchema,
      },
      {
        label: "remove another agent's time entry",
        request: async () => ({
          method: 'DELETE',
          url: `/tickets/${w.tickets.customer}/time-entries/${(await h.ok<{ id: string }>(w.agent2, 'POST', `/tickets/${w.tickets.customer}/time-entries`, { minutes: 5 })).id}`,
        }),
        status: managers(200),
        body: okSchema,
      },
    ],
    'GET /events': [
      {
        label: "read the tenant's log",
        request: () => ({ method: 'GET', url: '/events?after=0' }),
        status: each(200, { customer: 400 }),
        body: eventsPage,
      },
      {
        label: "read one ticket's events",
        request: () => ({ method: 'GET', url: `/events?after=0&ticketId=${w.tickets.customer}` }),
        status: each(200),
        body: eventsPage,
        check: (body, _w, role) => {
          const events = (body as z.infer<typeof eventsPage>).events;
          expect(events.length).toBeGreaterThan(0);
          expect(events.every((e) => e.ticketId === w.tickets.customer)).toBe(true);
          expect(events.some((e) => e.audience === 'staff')).toBe(role !== 'customer');
        },
      },
    ],
    'GET /triage/accuracy': [
      {
        label: 'read triage accuracy',
        request: () => ({ method: 'GET', url: '/triage/accuracy?days=7' }),
        status: managers(200),
        body: z.object({ days: z.array(z.object({ day: z.string() })), totals: z.object({ accuracy: z.number().nullable() }) }),
      },
    ],
    'OPTIONS /widget/session': [
      {
        label: 'CORS preflight from any site',
        request: () => ({ method: 'OPTIONS', url: '/widget/session', headers: { origin: 'https://shop.example' } }),
        status: each(200, { anonymous: 200 }),
        body: okSchema,
      },
    ],
    'OPTIONS /widget/suggestions': [
      {
        label: 'preflight of widget suggestions',
        request: () => ({ method: 'OPTIONS', url: '/widget/suggestions', headers: { origin: 'https://shop.example' } }),
        status: each(200, { anonymous: 200 }),
        body: okSchema,
      },
    ],
    'GET /widget/suggestions': [
      {
        label: 'ask for suggestions with the customer’s widget token (a session cookie is no widget token)',
        // The token was issued to the harness's own origin, which a browser sends with the request.
        request: () => ({
          method: 'GET',
          url: '/widget/suggestions?q=refund',
          headers: { 'x-widget-token': w.widgetToken, origin: `http://${TEST_HOST}` },
        }),
        status: each(200, { anonymous: 200 }),
        body: z.object({ items: z.array(z.object({ id: z.string(), title: z.string(), snippet: z.string(), url: z.string() })) }),
      },
    ],
    'OPTIONS /widget/attachments': [
      {
        label: 'preflight of a widget image upload',
        request: () => ({ method: 'OPTIONS', url: '/widget/attachments', headers: { origin: 'https://shop.example' } }),
        status: each(200, { anonymous: 200 }),
        body: okSchema,
      },
    ],
    'POST /widget/attachments': [
      {
        label: 'upload images without a widget token (a session cookie is no widget token)',
        request: () => ({
          method: 'POST',
          url: `/widget/attachments?ticketId=${w.tickets.customer}`,
          body: {},
          headers: { origin: 'https://shop.example' },
        }),
        status: each(401, { anonymous: 401 }),
      },
    ],
    'GET /widget/attachments/:id': [
      {
        label: 'download a conversation image with a forged widget token',
        request: () => ({ method: 'GET', url: `/widget/attachments/${w.ids.ticketId}?token=forged` }),
        status: each(401, { anonymous: 401 }),
      },
    ],
    'GET /widget/attachments/:id/thumbnail': [
      {
        label: 'download a thumbnail with a forged widget token',
        request: () => ({ method: 'GET', url: `/widget/attachments/${w.ids.ticketId}/thumbnail?token=forged` }),
        status: each(401, { anonymous: 401 }),
      },
    ],
    'POST /portal/signup': [
      {
        label: 'ask for a portal account (always 202: a set-password link goes to the address)',
        request: (_w, role) => ({
          method: 'POST',
          url: '/portal/signup',
          body: {
            tenant: w.slug,
            name: 'New Customer',
            email: role === 'anonymous' ? `new-${uniqueSuffix()}@example.test` : w[role].email,
          },
        }),
        status: each(202, { anonymous: 202 }),
        body: okSchema,
      },
    ],
    'POST /widget/session': [
      {
        label: 'start a widget session with the public key',
        request: () => ({
          method: 'POST',
          url: '/widget/session',
          body: { widgetKey: w.widgetKey },
          headers: { origin: 'https://shop.example' },
        }),
        status: each(200, { anonymous: 200 }),
        body: widgetSessionSchema,
      },
    ],
    'POST /tenant/widget-secret/rotate': [
      {
        label: 'rotate the widget secret',
        request: () => ({ method: 'POST', url: '/tenant/widget-secret/rotate' }),
        status: adminOnly(200),
        body: widgetSecretSchema,
      },
    ],
    'GET /sla/calendars': [
      {
        label: 'list business calendars',
        request: () => ({ method: 'GET', url: '/sla/calendars' }),
        status: staffOnly(200),
        body: items(slaCalendarDtoSchema),
      },
    ],
    'POST /sla/calendars': [
      {
        label: 'create a business calendar',
        request: (_w, role) => ({
          method: 'POST',
          url: '/sla/calendars',
          body: { name: `Cal ${role} ${uniqueSuffix()}`, timeZone: 'Europe/Berlin', hours: '24/7' },
        }),
        status: managers(201),
        body: slaCalendarDtoSchema,
      },
      {
        label: 'refuse overlapping hours',
        request: () => ({
          method: 'POST',
          url: '/sla/calendars',
          body: {
            name: `Overlap ${uniqueSuffix()}`,
            timeZone: 'UTC',
            hours: {
              monday: [
                { start: '09:00', end: '12:00' },
                { start: '11:00', end: '17:00' },
              ],
            },
          },
        }),
        status: managers(400),
      },
    ],
    'PUT /sla/calendars/:id': [
      {
        label: 'replace a business calendar',
        request: async (_w, role) => ({
          method: 'PUT',
          url: `/sla/calendars/${(await h.ok<{ id: string }>(w.admin, 'POST', '/sla/calendars', { name: `Put ${uniqueSuffix()}`, timeZone: 'UTC', hours: '24/7' })).id}`,
          body: { name: `Replaced ${role} ${uniqueSuffix()}`, timeZone: 'UTC', hours: { monday: [{ start: '08:00', end: '16:00' }] } },
        }),
        status: managers(200),
        body: slaCalendarDtoSchema,
      },
    ],
    'DELETE /sla/calendars/:id': [
      {
        label: 'delete a business calendar',
        request: async () => ({
          method: 'DELETE',
          url: `/sla/calendars/${(await h.ok<{ id: string }>(w.admin, 'POST', '/sla/calendars', { name: `Gone ${uniqueSuffix()}`, timeZone: 'UTC', hours: '24/7' })).id}`,
        }),
        status: managers(200),
        body: okSchema,
      },
    ],
    'GET /sla/policies': [
      {
        label: 'list SLA policies',
        request: () => ({ method: 'GET', url: '/sla/policies' }),
        status: staffOnly(200),
        body: items(slaPolicyDtoSchema),
      },
    ],
    'POST /sla/policies': [
      {
        label: 'create an SLA policy',
        request: (_w, role) => ({
          method: 'POST',
          url: '/sla/policies',
          body: { name: `Policy ${role} ${uniqueSuffix()}`, order: 5, targetMinutes: { firstResponse: 60 } },
        }),
        status: managers(201),
        body: slaPolicyDtoSchema,
      },
      {
        label: 'refuse a policy without a target',
        request: () => ({ method: 'POST', url: '/sla/policies', body: { name: `Empty ${uniqueSuffix()}`, order: 5, targetMinutes: {} } }),
        status: managers(400),
      },
    ],
    'PUT /sla/policies/:id': [
      {
        label: 'replace an SLA policy',
        request: async (_w, role) => ({
          method: 'PUT',
          url: `/sla/policies/${(await h.ok<{ id: string }>(w.admin, 'POST', '/sla/policies', { name: `Put ${uniqueSuffix()}`, order: 7, targetMinutes: { resolution: 600 } })).id}`,
          body: { name: `Replaced ${role} ${uniqueSuffix()}`, order: 7, targetMinutes: { resolution: 300 } },
        }),
        status: managers(200),
        body: slaPolicyDtoSchema,
      },
    ],
    'DELETE /sla/policies/:id': [
      {
        label: 'delete an SLA policy',
        request: async () => ({
          method: 'DELETE',
          url: `/sla/policies/${(await h.ok<{ id: string }>(w.admin, 'POST', '/sla/policies', { name: `Gone ${uniqueSuffix()}`, order: 9, targetMinutes: { firstResponse: 5 } })).id}`,
        }),
        status: managers(200),
        body: okSchema,
      },
    ],
    'GET /sla/report': [
      {
        label: 'read the SLA report',
        request: () => ({ method: 'GET', url: '/sla/report?days=30' }),
        status: managers(200),
        body: slaReportDtoSchema,
      },
    ],
    'GET /sla/overview': [
      {
        label: "read today's live figures",
        request: () => ({ method: 'GET', url: '/sla/overview' }),
        status: managers(200),
        body: boardFiguresSchema,
      },
    ],
    'GET /boards': [
      { label: 'list wall boards', request: () => ({ method: 'GET', url: '/boards' }), status: managers(200), body: items(boardDtoSchema) },
    ],
    'POST /boards': [
      {
        label: 'create a wall board',
        request: () => ({ method: 'POST', url: '/boards', body: { name: 'Floor', teamIds: [w.teamId] } }),
        status: managers(201),
        body: boardCreatedSchema,
        check: (body) => expect((body as { token: string }).token).toMatch(/^sbb_/),
      },
    ],
    'DELETE /boards/:id': [
      {
        label: 'revoke a wall board',
        request: async () => ({
          method: 'DELETE',
          url: `/boards/${(await h.ok<{ board: { id: string } }>(w.admin, 'POST', '/boards', { name: 'Temp' })).board.id}`,
        }),
        status: managers(200),
        body: okSchema,
      },
    ],
    'GET /boards/data': [
      {
        label: 'board figures without a board token',
        request: () => ({ method: 'GET', url: '/boards/data' }),
        status: each(401, { anonymous: 401 }),
      },
      {
        label: 'board figures with a board token (nobody signed in)',
        request: async () => ({
          method: 'GET',
          url: '/boards/data',
          as: null,
          headers: { authorization: `Board ${(await h.ok<{ token: string }>(w.admin, 'POST', '/boards', { name: 'Kiosk' })).token}` },
        }),
        status: each(200, { anonymous: 200 }),
        body: boardDataSchema,
      },
      {
        label: 'board figures with a revoked board token',
        request: async () => {
          const { board, token } = await h.ok<{ board: { id: string }; token: string }>(w.admin, 'POST', '/boards', { name: 'Revoked' });
          await h.ok(w.admin, 'DELETE', `/boards/${board.id}`);
          return { method: 'GET', url: '/boards/data', as: null, headers: { authorization: `Board ${token}` } };
        },
        status: each(401, { anonymous: 401 }),
      },
    ],
    'GET /audit': [
      { label: 'read the audit log', request: () => ({ method: 'GET', url: '/audit' }), status: adminOnly(200), body: auditPage },
    ],
    'POST /tickets/:id/attachments': [
      {
        label: 'upload a file with a message or reply',
        request: () => ({
          method: 'POST',
          url: `/tickets/${w.tickets.customer}/attachments`,
          ...multipartBody([{ filename: 'log.txt', content: Buffer.from('line\n') }]),
        }),
        status: each(201),
        body: entryDtoSchema,
      },
      {
        label: 'upload a file with an internal note',
        request: () => ({
          method: 'POST',
          url: `/tickets/${w.tickets.customer}/attachments`,
          ...multipartBody([{ filename: 'internal.txt', content: Buffer.from('staff only\n') }], { kind: 'note' }),
        }),
        status: staffOnly(201),
        body: entryDtoSchema,
      },
    ],
    'GET /attachments/:id': [
      {
        label: "download the customer's file",
        request: () => ({ method: 'GET', url: `/attachments/${w.ids.attachmentId}` }),
        status: each(200),
        body: z.object({ note: z.string() }),
      },
      {
        label: "download an internal note's file",
        request: async () => {
          const upload = multipartBody([{ filename: 'note.json', content: Buffer.from('{"note":"internal"}') }], { kind: 'note' });
          const response = await h.request(w.agent.auth, { method: 'POST', url: `/tickets/${w.tickets.customer}/attachments`, ...upload });
          expect(response.statusCode, response.body).toBe(201);
          return { method: 'GET', url: `/attachments/${(response.json() as { attachments: Array<{ id: string }> }).attachments[0]!.id}` };
        },
        status: each(200, { customer: 404 }),
        body: z.object({ note: z.literal('internal') }),
      },
    ],
    'GET /attachments/:id/thumbnail': [
      {
        label: 'thumbnail of a file that is not an image',
        request: () => ({ method: 'GET', url: `/attachments/${w.ids.attachmentId}/thumbnail` }),
        status: each(404),
      },
    ],
    'GET /mail-settings': [
      {
        label: 'read the mail settings',
        request: () => ({ method: 'GET', url: '/mail-settings' }),
        status: managers(200),
        body: mailSettingsDtoSchema,
      },
    ],
    'PATCH /mail-settings': [
      {
        label: 'change the sender name',
        request: () => ({ method: 'PATCH', url: '/mail-settings', body: { fromName: 'Support team' } }),
        status: adminOnly(200),
        body: mailSettingsDtoSchema,
      },
    ],
    'GET /me/notification-preferences': [
      {
        label: 'read my notification preferences',
        request: () => ({ method: 'GET', url: '/me/notification-preferences' }),
        status: each(200),
        body: notificationPreferencesSchema,
      },
    ],
    'PUT /me/notification-preferences': [
      {
        label: 'set my notification preferences',
        request: () => ({
          method: 'PUT',
          url: '/me/notification-preferences',
          body: { email: { reply: true, assignment: true, mention: false, slaEscalation: true, csat: true }, digest: false },
        }),
        status: each(200),
        body: notificationPreferencesSchema,
        check: (body) => expect(body).toMatchObject({ email: { mention: false }, digest: false }),
      },
    ],
    'GET /webhooks': [
      {
        label: 'list webhooks',
        request: () => ({ method: 'GET', url: '/webhooks' }),
        status: adminOnly(200),
        body: items(webhookDtoSchema),
      },
    ],
    'POST /webhooks': [
      {
        label: 'subscribe a URL',
        request: () => ({
          method: 'POST',
          url: '/webhooks',
          body: { url: 'https://hooks.example.test/roles', events: ['ticket.created', 'entry.added'] },
        }),
        status: adminOnly(201),
        body: webhookDtoSchema,
      },
    ],
    'PATCH /webhooks/:id': [
      {
        label: 'change a webhook',
        request: () => ({ method: 'PATCH', url: `/webhooks/${w.ids.webhookId}`, body: { description: 'Changed' } }),
        status: adminOnly(200),
        body: webhookDtoSchema,
      },
    ],
    'DELETE /webhooks/:id': [
      {
        label: 'remove a webhook',
        request: async () => ({
          method: 'DELETE',
          url: `/webhooks/${(await h.ok<{ id: string }>(w.admin, 'POST', '/webhooks', { url: 'https://hooks.example.test/gone', events: ['*'] })).id}`,
        }),
        status: adminOnly(200),
        body: okSchema,
      },
    ],
    'GET /webhooks/:id/deliveries': [
      {
        label: "read a webhook's delivery log",
        request: () => ({ method: 'GET', url: `/webhooks/${w.ids.webhookId}/deliveries` }),
        status: adminOnly(200),
        body: page(webhookDeliveryDtoSchema),
      },
    ],
    'GET /recurring-schedules': [
      {
        label: 'list recurring schedules',
        request: () => ({ method: 'GET', url: '/recurring-schedules' }),
        status: staffOnly(200),
        body: items(scheduleDtoSchema),
      },
    ],
    'POST /recurring-schedules': [
      {
        label: 'create a recurring schedule',
        request: () => ({ method: 'POST', url: '/recurring-schedules', body: scheduleBody() }),
        status: managers(201),
        body: scheduleDtoSchema,
      },
    ],
    'PATCH /recurring-schedules/:id': [
      {
        label: 'rename a schedule',
        request: () => ({ method: 'PATCH', url: `/recurring-schedules/${w.ids.scheduleId}`, body: { name: 'Renamed' } }),
        status: managers(200),
        body: scheduleDtoSchema,
      },
    ],
    'DELETE /recurring-schedules/:id': [
      {
        label: 'remove a schedule',
        request: async () => ({
          method: 'DELETE',
          url: `/recurring-schedules/${(await h.ok<{ id: string }>(w.admin, 'POST', '/recurring-schedules', scheduleBody())).id}`,
        }),
        status: managers(200),
        body: okSchema,
      },
    ],
    'GET /csat/summary': [
      {
        label: 'read satisfaction figures',
        request: () => ({ method: 'GET', url: '/csat/summary' }),
        status: managers(200),
        body: csatSummarySchema,
      },
    ],
    'GET /csat/:token': [
      {
        label: 'open a survey from its mail link',
        request: async () => ({ method: 'GET', url: `/csat/${(await solvedWithSurvey()).token}` }),
        status: each(200, { anonymous: 200 }),
        body: csatSurveyDtoSchema,
      },
    ],
    'POST /csat/:token': [
      {
        label: 'rate from the mail link',
        request: async () => ({ method: 'POST', url: `/csat/${(await solvedWithSurvey()).token}`, body: { score: 4 } }),
        status: each(200, { anonymous: 200 }),
        body: csatSurveyDtoSchema,
        check: (body) => expect(body).toMatchObject({ score: 4 }),
      },
    ],
    'POST /tickets/:id/csat': [
      {
        label: 'the requester rates a solved ticket',
        request: async () => ({
          method: 'POST',
          url: `/tickets/${(await solvedWithSurvey()).ticketId}/csat`,
          body: { score: 5, comment: 'Quick' },
        }),
        status: each(403, { customer: 200 }),
        body: csatSurveyDtoSchema,
      },
    ],
    'GET /kb/sections': [
      {
        label: 'list knowledge-base sections',
        request: () => ({ method: 'GET', url: '/kb/sections' }),
        status: staffOnly(200),
        body: items(sectionDtoSchema),
      },
    ],
    'POST /kb/sections': [
      {
        label: 'create a knowledge-base category',
        request: () => ({ method: 'POST', url: '/kb/sections', body: { name: `Category ${uniqueSuffix()}` } }),
        status: managers(201),
        body: sectionDtoSchema,
      },
    ],
    'PATCH /kb/sections/:id': [
      {
        label: 'describe a section',
        request: () => ({ method: 'PATCH', url: `/kb/sections/${w.ids.sectionId}`, body: { description: `Billing of ${w.marker}` } }),
        status: managers(200),
        body: sectionDtoSchema,
      },
    ],
    'DELETE /kb/sections/:id': [
      {
        label: 'delete an empty section',
        request: async () => ({
          method: 'DELETE',
          url: `/kb/sections/${(await h.ok<{ id: string }>(w.admin, 'POST', '/kb/sections', { name: `Doomed ${uniqueSuffix()}` })).id}`,
        }),
        status: managers(200),
        body: okSchema,
      },
    ],
    'GET /kb/articles': [
      {
        label: 'list the articles of a section, drafts and internal ones included',
        request: () => ({ method: 'GET', url: `/kb/articles?sectionId=${w.ids.sectionId}` }),
        status: staffOnly(200),
        body: page(articleSummarySchema),
        check: (body) =>
          expect((body as { items: Array<{ id: string }> }).items.map((a) => a.id).sort()).toEqual(
            [w.ids.articleId, w.ids.internalArticleId, w.ids.draftArticleId].sort(),
          ),
      },
    ],
    'POST /kb/articles': [
      {
        label: 'write an article',
        request: () => ({ method: 'POST', url: '/kb/articles', body: { title: 'Fresh article', body: 'Text', format: 'text' } }),
        status: staffOnly(201),
        body: articleDtoSchema,
      },
    ],
    'GET /kb/articles/:id': [
      {
        label: 'read an internal article',
        request: () => ({ method: 'GET', url: `/kb/articles/${w.ids.internalArticleId}` }),
        status: staffOnly(200),
        body: articleDtoSchema,
      },
    ],
    'PATCH /kb/articles/:id': [
      {
        label: 'edit a draft (a new version)',
        request: () => ({
          method: 'PATCH',
          url: `/kb/articles/${w.ids.draftArticleId}`,
          body: { title: `Draft article ${w.marker} ${uniqueSuffix()}` },
        }),
        status: staffOnly(200),
        body: articleDtoSchema,
      },
    ],
    'POST /kb/articles/:id/publish': [
      {
        label: 'publish an article',
        request: async () => ({ method: 'POST', url: `/kb/articles/${await freshArticle(false)}/publish`, body: {} }),
        status: managers(200),
        body: articleDtoSchema,
        check: (body) => expect(body).toMatchObject({ status: 'published', publishedVersion: 1 }),
      },
    ],
    'POST /kb/articles/:id/unpublish': [
      {
        label: 'take an article off the help center',
        request: async () => ({ method: 'POST', url: `/kb/articles/${await freshArticle(true)}/unpublish` }),
        status: managers(200),
        body: articleDtoSchema,
        check: (body) => expect(body).toMatchObject({ status: 'draft', publishedVersion: null }),
      },
    ],
    'DELETE /kb/articles/:id': [
      {
        label: 'delete an article',
        request: async () => ({ method: 'DELETE', url: `/kb/articles/${await freshArticle(true)}` }),
        status: managers(200),
        body: okSchema,
      },
    ],
    'GET /kb/articles/:id/versions': [
      {
        label: 'read the version history',
        request: () => ({ method: 'GET', url: `/kb/articles/${w.ids.articleId}/versions` }),
        status: staffOnly(200),
        body: items(versionSummarySchema),
      },
    ],
    'GET /kb/articles/:id/versions/:version': [
      {
        label: 'read the first version',
        request: () => ({ method: 'GET', url: `/kb/articles/${w.ids.articleId}/versions/1` }),
        status: staffOnly(200),
        body: versionDtoSchema,
      },
    ],
    'POST /kb/articles/:id/files': [
      {
        label: 'attach a file to a draft',
        request: () => ({
          method: 'POST',
          url: `/kb/articles/${w.ids.draftArticleId}/files`,
          ...multipartBody([{ filename: 'steps.txt', content: Buffer.from('1. Unplug\n') }]),
        }),
        status: staffOnly(201),
        body: articleDtoSchema,
      },
    ],
    'GET /kb/articles/:id/files/:fileId': [
      {
        label: 'download a file of an article',
        request: () => ({ method: 'GET', url: `/kb/articles/${w.ids.articleId}/files/${w.ids.kbFileId}` }),
        status: staffOnly(200),
        body: z.object({ guide: z.string() }),
      },
    ],
    'DELETE /kb/articles/:id/files/:fileId': [
      {
        label: 'remove a file from a draft',
        request: async () => {
          const upload = multipartBody([{ filename: 'old.txt', content: Buffer.from('old\n') }]);
          const response = await h.request(w.agent.auth, { method: 'POST', url: `/kb/articles/${w.ids.draftArticleId}/files`, ...upload });
          expect(response.statusCode, response.body).toBe(201);
          const fileId = (response.json() as { files: Array<{ id: string }> }).files.at(-1)!.id;
          return { method: 'DELETE', url: `/kb/articles/${w.ids.draftArticleId}/files/${fileId}` };
        },
        status: staffOnly(200),
        body: articleDtoSchema,
      },
    ],
    'GET /help/sections': [
      {
        label: 'browse the help center',
        request: () => ({ method: 'GET', url: `/help/sections?tenant=${w.slug}` }),
        status: each(200, { anonymous: 200 }),
        body: items(sectionDtoSchema),
        check: (body) =>
          expect((body as { items: Array<{ id: string }> }).items.map((s) => s.id).sort()).toEqual(
            [w.ids.kbCategoryId, w.ids.sectionId].sort(),
          ),
      },
    ],
    'GET /help/articles': [
      {
        label: 'list the published public articles of a section',
        request: () => ({ method: 'GET', url: `/help/articles?tenant=${w.slug}&sectionId=${w.ids.sectionId}` }),
        status: each(200, { anonymous: 200 }),
        body: page(helpArticleSummarySchema),
        check: (body) => expect((body as { items: Array<{ id: string }> }).items.map((a) => a.id)).toEqual([w.ids.articleId]),
      },
    ],
    'GET /help/articles/:id': [
      {
        label: 'read a published public article',
        request: () => ({ method: 'GET', url: `/help/articles/${w.ids.articleId}?tenant=${w.slug}` }),
        status: each(200, { anonymous: 200 }),
        body: helpArticleSchema,
      },
      {
        label: 'read a published internal article through the help center',
        request: () => ({ method: 'GET', url: `/help/articles/${w.ids.internalArticleId}?tenant=${w.slug}` }),
        status: each(404, { anonymous: 404 }),
      },
      {
        label: 'read a draft through the help center',
        request: () => ({ method: 'GET', url: `/help/articles/${w.ids.draftArticleId}?tenant=${w.slug}` }),
        status: each(404, { anonymous: 404 }),
      },
    ],
    'GET /help/articles/:id/files/:fileId': [
      {
        label: 'download a file of a published public article',
        request: () => ({ method: 'GET', url: `/help/articles/${w.ids.articleId}/files/${w.ids.kbFileId}?tenant=${w.slug}` }),
        status: each(200, { anonymous: 200 }),
        body: z.object({ guide: z.string() }),
      },
    ],
    'POST /help/articles/:id/feedback': [
      {
        label: 'say an article helped',
        request: () => ({ method: 'POST', url: `/help/articles/${w.ids.articleId}/feedback?tenant=${w.slug}`, body: { helpful: true } }),
        status: each(200, { anonymous: 200 }),
        body: z.object({ helpful: z.object({ yes: z.number().int().min(1), no: z.number() }) }),
      },
    ],
    'GET /help/search': [
      {
        label: 'search the help center',
        request: () => ({ method: 'GET', url: `/help/search?tenant=${w.slug}&q=${w.marker}` }),
        status: each(200, { anonymous: 200 }),
        body: articleSearchResultSchema,
        check: (body) =>
          expect((body as { hits: Array<{ article: { id: string } }> }).hits.map((hit) => hit.article.id)).toEqual([w.ids.articleId]),
      },
    ],
    'GET /search/tickets': [
      {
        label: 'search tickets with facets',
        request: () => ({ method: 'GET', url: `/search/tickets?q=${w.marker}&facets=status,teamId,tags` }),
        status: staffOnly(200),
        body: ticketSearchResultSchema,
        check: (body) =>
          expect((body as { hits: Array<{ ticket: { id: string } }> }).hits.map((hit) => hit.ticket.id).sort()).toEqual(
            Object.values(w.tickets).sort(),
          ),
      },
    ],
    'GET /search/articles': [
      {
        label: 'search articles (customers: published public ones only)',
        request: () => ({ method: 'GET', url: `/search/articles?q=${w.marker}` }),
        status: each(200),
        body: articleSearchResultSchema,
        check: (body, _w, role) =>
          expect((body as { hits: Array<{ article: { id: string } }> }).hits.map((hit) => hit.article.id).sort()).toEqual(
            role === 'customer' ? [w.ids.articleId] : [w.ids.articleId, w.ids.internalArticleId, w.ids.draftArticleId].sort(),
          ),
      },
    ],
  };

  beforeAll(async () => {
    h = await ApiHarness.start({ label: 'roles' });
    w = await buildTenantWorld(h);
    resettable = await h.createPerson(w, 'customer', { signIn: false });
  });
  afterAll(async () => {
    await h.close();
  });

  it('has a case for every route of the app', () => {
    const routes = h.routes.filter((r) => !r.hidden).map((r) => r.key);
    expect(routes.filter((key) => !CASES[key])).toEqual([]);
    expect(Object.keys(CASES).filter((key) => !routes.includes(key))).toEqual([]);
    const publicRoutes = h.routes.filter((r) => r.auth === 'none').map((r) => r.key);
    const anonymousRefused = Object.entries(CASES).filter(
      ([key, cases]) => !publicRoutes.includes(key) && cases.some((c) => c.status.anonymous !== 401),
    );
    expect(anonymousRefused.map(([key]) => key)).toEqual([]);
    expect(publicRoutes.sort()).toEqual([
      'GET /boards/data',
      'GET /csat/:token',
      'GET /help/articles',
      'GET /help/articles/:id',
      'GET /help/articles/:id/files/:fileId',
      'GET /help/search',
      'GET /help/sections',
      'GET /widget/attachments/:id',
      'GET /widget/attachments/:id/thumbnail',
      'GET /widget/suggestions',
      'OPTIONS /widget/attachments',
      'OPTIONS /widget/session',
      'OPTIONS /widget/suggestions',
      'POST /auth/login',
      'POST /auth/password-reset',
      'POST /auth/password-reset/complete',
      'POST /csat/:token',
      'POST /help/articles/:id/feedback',
      'POST /portal/signup',
      'POST /tenants',
      'POST /widget/attachments',
      'POST /widget/session',
    ]);
  });

  const table = Object.entries(CASES).flatMap(([key, cases]) =>
    cases.flatMap((c) => ROLE_NAMES.map((role) => ({ name: `${key} — ${c.label} — as ${role} → ${c.status[role]}`, role, c }))),
  );

  it.each(table)('$name', async ({ role, c }) => {
    const who = personOf(role);
    const { as, ...request } = await c.request(w, role, who);
    const response = await h.request(as === undefined ? (who?.auth ?? { ip: randomIp() }) : as, request);
    const expected = c.status[role];
    if (expected >= 400) {
      const error = expectError(response, expected);
      expect(CODE_OF[expected], error.message).toContain(error.code);
      return;
    }
    expect(response.statusCode, response.body).toBe(expected);
    const body: unknown = response.json();
    if (c.body) expect(c.body.safeParse(body).error).toBeUndefined();
    await c.check?.(body, w, role);
  });

  describe('what customers see', () => {
    type Listed = { items: Array<{ id: string; requester: { id: string } | null; ai: unknown; organisationId: string | null }> };

    it('lists their own and their organisation’s tickets, and nothing else', async () => {
      const { items } = await h.ok<Listed>(w.customer, 'GET', '/tickets?limit=100');
      const ids = items.map((t) => t.id);
      expect(ids).toContain(w.tickets.customer);
      expect(ids).toContain(w.tickets.colleague);
      expect(ids).not.toContain(w.tickets.outsider);
      for (const ticket of items) {
        expect([w.customer.id, w.colleague.id]).toContain(ticket.requester?.id);
        expect(ticket.ai).toBeNull();
      }
      expect((await h.ok<{ count: number }>(w.customer, 'GET', '/tickets/count')).count).toBe(items.length);
      expect((await h.ok<{ id: string }>(w.customer, 'GET', `/tickets/${w.tickets.colleague}`)).id).toBe(w.tickets.colleague);
      for (const url of [
        `/tickets/${w.tickets.outsider}`,
        `/tickets/${w.tickets.outsider}/entries`,
        `/events?ticketId=${w.tickets.outsider}`,
      ]) {
        expectError(await h.request(w.customer.auth, { method: 'GET', url }), 404, 'not_found');
      }
    });

    it('sees only their own tickets when the tenant turns organisation visibility off', async () => {
      await h.ok(w.admin, 'PATCH', '/tenant', { customersSeeOrganisationTickets: false });
      try {
        const { items } = await h.ok<Listed>(w.customer, 'GET', '/tickets?limit=100');
        expect(items.length).toBeGreaterThan(0);
        expect(items.every((t) => t.requester?.id === w.customer.id)).toBe(true);
        const colleague = w.tickets.colleague;
        for (const request of [
          { method: 'GET', url: `/tickets/${colleague}` },
          { method: 'GET', url: `/tickets/${colleague}/entries` },
          { method: 'GET', url: `/events?ticketId=${colleague}` },
          { method: 'POST', url: `/tickets/${colleague}/entries`, body: { kind: 'message', body: 'Me too' } },
        ]) {
          expectError(await h.request(w.customer.auth, request), 404, 'not_found');
        }
      } finally {
        await h.ok(w.admin, 'PATCH', '/tenant', { customersSeeOrganisationTickets: true });
      }
      expect((await h.ok<{ id: string }>(w.customer, 'GET', `/tickets/${w.tickets.colleague}`)).id).toBe(w.tickets.colleague);
    });

    it('never sees internal notes, neither as entries nor as events', async () => {
      const entries = await h.ok<{ items: Array<{ id: string; kind: string }> }>(
        w.customer,
        'GET',
        `/tickets/${w.tickets.customer}/entries`,
      );
      expect(entries.items.length).toBeGreaterThan(1);
      expect(entries.items.some((e) => e.kind === 'note' || e.id === w.noteId)).toBe(false);
      const response = await h.request(w.customer.auth, { method: 'GET', url: `/events?after=0&limit=500&ticketId=${w.tickets.customer}` });
      expect(response.statusCode).toBe(200);
      expect(response.body).not.toContain(w.noteText);
      expect(response.body).not.toContain(w.noteId);
      const events = (response.json() as { events: DomainEvent[] }).events;
      expect(events.length).toBeGreaterThan(0);
      expect(events.every((e) => e.audience === 'public')).toBe(true);

      const staffView = await h.request(w.agent.auth, { method: 'GET', url: `/events?after=0&limit=500&ticketId=${w.tickets.customer}` });
      expect(staffView.body).toContain(w.noteText);
      const staffEntries = await h.ok<{ items: Array<{ id: string }> }>(w.agent, 'GET', `/tickets/${w.tickets.customer}/entries`);
      expect(staffEntries.items.map((e) => e.id)).toContain(w.noteId);
    });

    it('cannot use staff fields or staff actions, and nothing is written when refused', async () => {
      const before = await h.snapshot(w.id);
      const base = { subject: 'Mine', body: 'Please' };
      const refused: Sent[] = [
        ...[
          { priority: 'urgent' },
          { teamId: w.teamId },
          { assigneeId: w.agent.id },
          { categoryId: w.categoryId },
          { tags: ['vip'] },
          { customFields: { plan: 'gold' } },
          { requester: { email: 'someone@example.test' } },
          { requesterId: w.colleague.id },
        ].map((extra) => ({ method: 'POST', url: '/tickets', body: { ...base, ...extra } })),
        { method: 'PATCH', url: `/tickets/${w.tickets.customer}`, body: { subject: 'Renamed by customer' } },
        { method: 'POST', url: `/tickets/${w.tickets.customer}/status`, body: { status: 'solved' } },
        { method: 'POST', url: `/tickets/${w.tickets.customer}/assign`, body: { assigneeId: w.agent.id } },
        { method: 'POST', url: `/tickets/${w.tickets.customer}/merge`, body: { intoId: w.tickets.colleague } },
        { method: 'POST', url: `/tickets/${w.tickets.customer}/entries`, body: { kind: 'note', body: 'Sneaky' } },
        { method: 'POST', url: `/tickets/${w.tickets.customer}/entries`, body: { kind: 'reply', body: 'Sneaky' } },
        { method: 'POST', url: `/tickets/${w.tickets.customer}/time-entries`, body: { minutes: 5 } },
        { method: 'POST', url: '/me/tokens', body: { name: 'mine' } },
        { method: 'POST', url: '/me/mfa/setup' },
      ];
      for (const request of refused) expectError(await h.request(w.customer.auth, request), 403, 'forbidden');
      expect(await h.snapshot(w.id)).toBe(before);
    });

    it('opens tickets through the portal, filed under their organisation', async () => {
      const { ticket } = await h.ok<{ ticket: { channel: string; organisationId: string | null; requester: { id: string } } }>(
        w.customer,
        'POST',
        '/tickets',
        { subject: 'Portal', body: 'Hi', channel: 'email' },
      );
      expect(ticket).toMatchObject({ channel: 'portal', organisationId: w.organisationId, requester: { id: w.customer.id } });
    });
  });
});
