import type { OpenAPIV3_1 } from 'openapi-types';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiHarness, type ApiRequest, type Person } from '../testing/api-harness.ts';
import { buildTenantWorld, fingerprints, ghostIds, type TenantIds, type TenantWorld } from '../testing/tenant-world.ts';

/**
 * Tenant isolation, route by route. Every route of the app must appear in PROBES, and
 * every id it takes (path parameter, query filter, body field — read from the OpenAPI
 * document) must be aimed at tenant B by at least one probe. Each probe runs as every
 * role of tenant A twice: with B's real ids and with ids that exist nowhere. The answers
 * must be the same (a foreign id is indistinguishable from a missing one) and carry no
 * trace of B; every write aimed at B is refused, and the last test proves that no
 * document of either tenant changed.
 *
 * Decision per kind of id: a path id or the ticket of GET /events names what to act on →
 * 404; a body id names another object to link → 400 validation_failed ("unknown X", the
 * field in details); a query filter narrows a list → 200 with nothing of B.
 */

interface Probe {
  /** The id slots this probe aims at B (`path:id`, `body:teamId`, `query:after`…); empty for a plain call. */
  slots: string[];
  request: (a: TenantWorld, b: TenantIds) => ApiRequest;
  /** Status for A's admin. */
  status: number;
}

const get = (url: string): ApiRequest => ({ method: 'GET', url });
const send = (method: string, url: string, body?: unknown): ApiRequest => ({ method, url, ...(body === undefined ? {} : { body }) });

/** Routes that take no id at all: nothing to aim at another tenant (their slots are checked below). */
const NO_ID = [
  'POST /tenants',
  'PATCH /tenant',
  'POST /auth/login',
  'POST /auth/mfa/verify',
  'POST /auth/logout',
  'POST /auth/password-reset',
  'POST /auth/password-reset/complete',
  'PUT /me/status',
  'POST /me/password',
  'POST /me/mfa/setup',
  'POST /me/mfa/confirm',
  'POST /me/mfa/disable',
  'POST /me/tokens',
  'POST /organisations',
  'POST /teams',
  'POST /sla/calendars',
  'GET /boards/data',
  'POST /macros',
  'POST /tenant/widget-secret/rotate',
  // The widget key is public by design (it sits in the embed snippet of the tenant's site).
  'OPTIONS /widget/session',
  'POST /widget/session',
  'OPTIONS /widget/attachments',
  'OPTIONS /widget/suggestions',
  // Suggestions search the knowledge base of the widget token's tenant; the query is text, not an id.
  'GET /widget/suggestions',
  // Asks for an account by email on a portal named by its public slug; answers 202 whatever the address.
  'POST /portal/signup',
  'PATCH /mail-settings',
  'PUT /me/notification-preferences',
  'POST /webhooks',
];

const PROBES: Record<string, Probe[]> = {
  'GET /tenant': [{ slots: [], request: () => get('/tenant'), status: 200 }],
  'GET /me': [{ slots: [], request: () => get('/me'), status: 200 }],
  'GET /me/tokens': [{ slots: [], request: () => get('/me/tokens'), status: 200 }],
  'DELETE /me/tokens/:id': [{ slots: ['path:id'], request: (_a, b) => send('DELETE', `/me/tokens/${b.tokenId}`), status: 404 }],
  'GET /users': [
    { slots: [], request: () => get('/users?limit=200'), status: 200 },
    { slots: ['query:organisationId'], request: (_a, b) => get(`/users?organisationId=${b.organisationId}`), status: 200 },
    { slots: ['query:teamId'], request: (_a, b) => get(`/users?teamId=${b.teamId}`), status: 200 },
    { slots: ['query:after'], request: (_a, b) => get(`/users?after=${b.userId}`), status: 200 },
  ],
  'POST /users': [
    {
      slots: ['body:organisationId'],
      request: (_a, b) =>
        send('POST', '/users', { email: 'x-org@example.test', name: 'X', role: 'customer', organisationId: b.organisationId }),
      status: 400,
    },
    {
      slots: ['body:teamIds'],
      request: (_a, b) => send('POST', '/users', { email: 'x-team@example.test', name: 'X', role: 'customer', teamIds: [b.teamId] }),
      status: 400,
    },
  ],
  'GET /users/:id': [{ slots: ['path:id'], request: (_a, b) => get(`/users/${b.customerId}`), status: 404 }],
  'PATCH /users/:id': [
    { slots: ['path:id'], request: (_a, b) => send('PATCH', `/users/${b.agentId}`, { title: 'Hijacked' }), status: 404 },
    {
      slots: ['body:organisationId'],
      request: (a, b) => send('PATCH', `/users/${a.outsider.id}`, { organisationId: b.organisationId }),
      status: 400,
    },
    { slots: ['body:teamIds'], request: (a, b) => send('PATCH', `/users/${a.agent2.id}`, { teamIds: [b.teamId] }), status: 400 },
  ],
  'GET /organisations': [{ slots: [], request: () => get('/organisations'), status: 200 }],
  'GET /organisations/:id': [{ slots: ['path:id'], request: (_a, b) => get(`/organisations/${b.organisationId}`), status: 404 }],
  'PATCH /organisations/:id': [
    { slots: ['path:id'], request: (_a, b) => send('PATCH', `/organisations/${b.organisationId}`, { notes: 'Hijacked' }), status: 404 },
  ],
  'GET /teams': [{ slots: [], request: () => get('/teams'), status: 200 }],
  'PATCH /teams/:id': [{ slots: ['path:id'], request: (_a, b) => send('PATCH', `/teams/${b.teamId}`, { name: 'Hijacked' }), status: 404 }],
  'DELETE /teams/:id': [{ slots: ['path:id'], request: (_a, b) => send('DELETE', `/teams/${b.teamId}`), status: 404 }],
  'GET /categories': [{ slots: [], request: () => get('/categories'), status: 200 }],
  'POST /categories': [
    { slots: ['body:teamId'], request: (_a, b) => send('POST', '/categories', { name: 'Cross', teamId: b.teamId }), status: 400 },
  ],
  'PATCH /categories/:id': [
    { slots: ['path:id'], request: (_a, b) => send('PATCH', `/categories/${b.categoryId}`, { name: 'Hijacked' }), status: 404 },
    { slots: ['body:teamId'], request: (a, b) => send('PATCH', `/categories/${a.categoryId}`, { teamId: b.teamId }), status: 400 },
  ],
  'GET /macros': [{ slots: [], request: () => get('/macros'), status: 200 }],
  'PATCH /macros/:id': [
    { slots: ['path:id'], request: (_a, b) => send('PATCH', `/macros/${b.macroId}`, { title: 'Hijacked' }), status: 404 },
  ],
  'DELETE /macros/:id': [{ slots: ['path:id'], request: (_a, b) => send('DELETE', `/macros/${b.macroId}`), status: 404 }],
  'GET /tickets': [
    { slots: [], request: () => get('/tickets?limit=100'), status: 200 },
    { slots: ['query:assigneeId'], request: (_a, b) => get(`/tickets?assigneeId=${b.agentId}`), status: 200 },
    { slots: ['query:teamId'], request: (_a, b) => get(`/tickets?teamId=${b.teamId}`), status: 200 },
    { slots: ['query:categoryId'], request: (_a, b) => get(`/tickets?categoryId=${b.categoryId}`), status: 200 },
    { slots: ['query:requesterId'], request: (_a, b) => get(`/tickets?requesterId=${b.customerId}`), status: 200 },
    { slots: ['query:organisationId'], request: (_a, b) => get(`/tickets?organisationId=${b.organisationId}`), status: 200 },
  ],
  'GET /tickets/count': [
    { slots: [], request: () => get('/tickets/count'), status: 200 },
    { slots: ['query:assigneeId'], request: (_a, b) => get(`/tickets/count?assigneeId=${b.agentId}`), status: 200 },
    { slots: ['query:teamId'], request: (_a, b) => get(`/tickets/count?teamId=${b.teamId}`), status: 200 },
    { slots: ['query:categoryId'], request: (_a, b) => get(`/tickets/count?categoryId=${b.categoryId}`), status: 200 },
    { slots: ['query:requesterId'], request: (_a, b) => get(`/tickets/count?requesterId=${b.customerId}`), status: 200 },
    { slots: ['query:organisationId'], request: (_a, b) => get(`/tickets/count?organisationId=${b.organisationId}`), status: 200 },
  ],
  'POST /tickets': [
    {
      slots: ['body:requesterId'],
      request: (_a, b) => send('POST', '/tickets', { subject: 'Cross', body: 'x', requesterId: b.customerId }),
      status: 400,
    },
    {
      slots: ['body:teamId'],
      request: (_a, b) => send('POST', '/tickets', { subject: 'Cross', body: 'x', teamId: b.teamId }),
      status: 400,
    },
    {
      slots: ['body:assigneeId'],
      request: (_a, b) => send('POST', '/tickets', { subject: 'Cross', body: 'x', assigneeId: b.agentId }),
      status: 400,
    },
    {
      slots: ['body:categoryId'],
      request: (_a, b) => send('POST', '/tickets', { subject: 'Cross', body: 'x', categoryId: b.categoryId }),
      status: 400,
    },
  ],
  'GET /tickets/:id': [{ slots: ['path:id'], request: (_a, b) => get(`/tickets/${b.ticketId}`), status: 404 }],
  'PATCH /tickets/:id': [
    { slots: ['path:id'], request: (_a, b) => send('PATCH', `/tickets/${b.ticketId}`, { subject: 'Hijacked' }), status: 404 },
    {
      slots: ['body:categoryId'],
      request: (a, b) => send('PATCH', `/tickets/${a.tickets.customer}`, { categoryId: b.categoryId }),
      status: 400,
    },
  ],
  'POST /tickets/:id/status': [
    { slots: ['path:id'], request: (_a, b) => send('POST', `/tickets/${b.ticketId}/status`, { status: 'solved' }), status: 404 },
  ],
  'POST /tickets/:id/assign': [
    { slots: ['path:id'], request: (a, b) => send('POST', `/tickets/${b.ticketId}/assign`, { assigneeId: a.agent.id }), status: 404 },
    {
      slots: ['body:assigneeId'],
      request: (a, b) => send('POST', `/tickets/${a.tickets.customer}/assign`, { assigneeId: b.agentId }),
      status: 400,
    },
    { slots: ['body:teamId'], request: (a, b) => send('POST', `/tickets/${a.tickets.customer}/assign`, { teamId: b.teamId }), status: 400 },
  ],
  'POST /tickets/:id/merge': [
    { slots: ['path:id'], request: (a, b) => send('POST', `/tickets/${b.ticketId}/merge`, { intoId: a.tickets.colleague }), status: 404 },
    {
      slots: ['body:intoId'],
      request: (a, b) => send('POST', `/tickets/${a.tickets.customer}/merge`, { intoId: b.ticketId }),
      status: 400,
    },
  ],
  'GET /tickets/:id/entries': [
    { slots: ['path:id'], request: (_a, b) => get(`/tickets/${b.ticketId}/entries`), status: 404 },
    { slots: ['query:after'], request: (a, b) => get(`/tickets/${a.tickets.customer}/entries?after=${b.noteId}`), status: 200 },
  ],
  'POST /tickets/:id/entries': [
    {
      slots: ['path:id'],
      request: (_a, b) => send('POST', `/tickets/${b.ticketId}/entries`, { kind: 'note', body: 'Cross' }),
      status: 404,
    },
    {
      slots: ['path:id'],
      request: (_a, b) => send('POST', `/tickets/${b.ticketId}/entries`, { kind: 'message', body: 'Cross' }),
      status: 403,
    },
    {
      slots: ['body:mentions'],
      request: (a, b) => send('POST', `/tickets/${a.tickets.customer}/entries`, { kind: 'note', body: 'Cross', mentions: [b.agentId] }),
      status: 400,
    },
  ],
  'GET /tickets/:id/time-entries': [{ slots: ['path:id'], request: (_a, b) => get(`/tickets/${b.ticketId}/time-entries`), status: 404 }],
  'POST /tickets/:id/time-entries': [
    { slots: ['path:id'], request: (_a, b) => send('POST', `/tickets/${b.ticketId}/time-entries`, { minutes: 5 }), status: 404 },
  ],
  'DELETE /tickets/:id/time-entries/:entryId': [
    {
      slots: ['path:id', 'path:entryId'],
      request: (_a, b) => send('DELETE', `/tickets/${b.ticketId}/time-entries/${b.timeEntryId}`),
      status: 404,
    },
    {
      slots: ['path:entryId'],
      request: (a, b) => send('DELETE', `/tickets/${a.tickets.customer}/time-entries/${b.timeEntryId}`),
      status: 404,
    },
  ],
  'GET /events': [
    { slots: [], request: () => get('/events?after=0&limit=500'), status: 200 },
    { slots: ['query:ticketId'], request: (_a, b) => get(`/events?ticketId=${b.ticketId}`), status: 404 },
  ],
  'GET /triage/accuracy': [{ slots: [], request: () => get('/triage/accuracy?days=365'), status: 200 }],
  'GET /sla/calendars': [{ slots: [], request: () => get('/sla/calendars'), status: 200 }],
  'PUT /sla/calendars/:id': [
    {
      slots: ['path:id'],
      request: (_a, b) => send('PUT', `/sla/calendars/${b.slaCalendarId}`, { name: 'Hijacked', timeZone: 'UTC', hours: '24/7' }),
      status: 404,
    },
  ],
  'DELETE /sla/calendars/:id': [
    { slots: ['path:id'], request: (_a, b) => send('DELETE', `/sla/calendars/${b.slaCalendarId}`), status: 404 },
  ],
  'GET /sla/policies': [{ slots: [], request: () => get('/sla/policies'), status: 200 }],
  'POST /sla/policies': [
    {
      slots: ['body:calendarId'],
      request: (_a, b) =>
        send('POST', '/sla/policies', { name: 'X', order: 1, targetMinutes: { firstResponse: 5 }, calendarId: b.slaCalendarId }),
      status: 400,
    },
    {
      slots: ['body:conditions.organisationIds', 'body:conditions.categoryIds'],
      request: (_a, b) =>
        send('POST', '/sla/policies', {
          name: 'X',
          order: 1,
          targetMinutes: { firstResponse: 5 },
          conditions: { organisationIds: [b.organisationId], categoryIds: [b.categoryId] },
        }),
      status: 400,
    },
    {
      slots: ['body:escalations.teamId'],
      request: (_a, b) =>
        send('POST', '/sla/policies', {
          name: 'X',
          order: 1,
          targetMinutes: { firstResponse: 5 },
          escalations: [{ on: 'breach', action: 'assign_team', teamId: b.teamId }],
        }),
      status: 400,
    },
  ],
  'PUT /sla/policies/:id': [
    {
      slots: ['path:id'],
      request: (_a, b) =>
        send('PUT', `/sla/policies/${b.slaPolicyId}`, { name: 'Hijacked', order: 1, targetMinutes: { firstResponse: 5 } }),
      status: 404,
    },
    {
      slots: ['body:calendarId', 'body:conditions.organisationIds', 'body:conditions.categoryIds', 'body:escalations.teamId'],
      request: (a, b) =>
        send('PUT', `/sla/policies/${a.ids.slaPolicyId}`, {
          name: 'Mixed',
          order: 1,
          targetMinutes: { firstResponse: 5 },
          calendarId: b.slaCalendarId,
          conditions: { organisationIds: [b.organisationId], categoryIds: [b.categoryId] },
          escalations: [{ on: 'breach', action: 'assign_team', teamId: b.teamId }],
        }),
      status: 400,
    },
  ],
  'DELETE /sla/policies/:id': [{ slots: ['path:id'], request: (_a, b) => send('DELETE', `/sla/policies/${b.slaPolicyId}`), status: 404 }],
  'GET /sla/report': [
    { slots: [], request: () => get('/sla/report?days=30'), status: 200 },
    { slots: ['query:teamId'], request: (_a, b) => get(`/sla/report?teamId=${b.teamId}`), status: 200 },
  ],
  'GET /sla/overview': [
    { slots: [], request: () => get('/sla/overview'), status: 200 },
    { slots: ['query:teamId'], request: (_a, b) => get(`/sla/overview?teamId=${b.teamId}`), status: 200 },
  ],
  'GET /boards': [{ slots: [], request: () => get('/boards'), status: 200 }],
  'POST /boards': [
    { slots: ['body:teamIds'], request: (_a, b) => send('POST', '/boards', { name: 'Spy', teamIds: [b.teamId] }), status: 400 },
  ],
  'DELETE /boards/:id': [{ slots: ['path:id'], request: (_a, b) => send('DELETE', `/boards/${b.boardId}`), status: 404 }],
  'GET /audit': [
    { slots: [], request: () => get('/audit?limit=200'), status: 200 },
    { slots: ['query:actorId'], request: (_a, b) => get(`/audit?actorId=${b.userId}`), status: 200 },
  ],
  'POST /tickets/:id/attachments': [
    { slots: ['path:id'], request: (_a, b) => send('POST', `/tickets/${b.ticketId}/attachments`), status: 404 },
  ],
  'GET /attachments/:id': [{ slots: ['path:id'], request: (_a, b) => get(`/attachments/${b.attachmentId}`), status: 404 }],
  // Widget routes authenticate with A's widget token (a verified customer of A), whatever the session cookie.
  'POST /widget/attachments': [
    {
      slots: ['query:ticketId'],
      request: (a, b) => ({
        method: 'POST',
        url: `/widget/attachments?ticketId=${b.ticketId}`,
        body: {},
        headers: { 'x-widget-token': a.widgetToken },
      }),
      status: 404,
    },
  ],
  'GET /widget/attachments/:id': [
    {
      slots: ['path:id'],
      request: (a, b) => get(`/widget/attachments/${b.attachmentId}?token=${encodeURIComponent(a.widgetToken)}`),
      status: 404,
    },
  ],
  'GET /widget/attachments/:id/thumbnail': [
    {
      slots: ['path:id'],
      request: (a, b) => get(`/widget/attachments/${b.attachmentId}/thumbnail?token=${encodeURIComponent(a.widgetToken)}`),
      status: 404,
    },
  ],
  'GET /attachments/:id/thumbnail': [
    { slots: ['path:id'], request: (_a, b) => get(`/attachments/${b.attachmentId}/thumbnail`), status: 404 },
  ],
  'GET /mail-settings': [{ slots: [], request: () => get('/mail-settings'), status: 200 }],
  'GET /me/notification-preferences': [{ slots: [], request: () => get('/me/notification-preferences'), status: 200 }],
  'GET /webhooks': [{ slots: [], request: () => get('/webhooks'), status: 200 }],
  'PATCH /webhooks/:id': [
    { slots: ['path:id'], request: (_a, b) => send('PATCH', `/webhooks/${b.webhookId}`, { active: false }), status: 404 },
  ],
  'DELETE /webhooks/:id': [{ slots: ['path:id'], request: (_a, b) => send('DELETE', `/webhooks/${b.webhookId}`), status: 404 }],
  'GET /webhooks/:id/deliveries': [
    { slots: ['path:id'], request: (_a, b) => get(`/webhooks/${b.webhookId}/deliveries`), status: 404 },
    { slots: ['query:before'], request: (a, b) => get(`/webhooks/${a.ids.webhookId}/deliveries?before=${b.webhookId}`), status: 200 },
  ],
  'GET /recurring-schedules': [{ slots: [], request: () => get('/recurring-schedules'), status: 200 }],
  'POST /recurring-schedules': [
    {
      slots: ['body:organisationId'],
      request: (a, b) => send('POST', '/recurring-schedules', schedule(b.organisationId, a.customer.id)),
      status: 400,
    },
    {
      slots: ['body:requesterId'],
      request: (a, b) => send('POST', '/recurring-schedules', schedule(a.organisationId, b.customerId)),
      status: 400,
    },
    ...(['teamId', 'assigneeId', 'categoryId'] as const).map((field) => ({
      slots: [`body:template.${field}`],
      request: (a: TenantWorld, b: TenantIds) =>
        send(
          'POST',
          '/recurring-schedules',
          schedule(a.organisationId, a.customer.id, { [field]: b[field === 'assigneeId' ? 'agentId' : field] }),
        ),
      status: 400,
    })),
  ],
  'PATCH /recurring-schedules/:id': [
    { slots: ['path:id'], request: (_a, b) => send('PATCH', `/recurring-schedules/${b.scheduleId}`, { name: 'Hijacked' }), status: 404 },
    {
      slots: ['body:organisationId'],
      request: (a, b) => send('PATCH', `/recurring-schedules/${a.ids.scheduleId}`, { organisationId: b.organisationId }),
      status: 400,
    },
    {
      slots: ['body:requesterId'],
      request: (a, b) => send('PATCH', `/recurring-schedules/${a.ids.scheduleId}`, { requesterId: b.customerId }),
      status: 400,
    },
    ...(['teamId', 'assigneeId', 'categoryId'] as const).map((field) => ({
      slots: [`body:template.${field}`],
      request: (a: TenantWorld, b: TenantIds) =>
        send('PATCH', `/recurring-schedules/${a.ids.scheduleId}`, {
          template: { subject: 'S', body: 'B', [field]: b[field === 'assigneeId' ? 'agentId' : field] },
        }),
      status: 400,
    })),
  ],
  'DELETE /recurring-schedules/:id': [
    { slots: ['path:id'], request: (_a, b) => send('DELETE', `/recurring-schedules/${b.scheduleId}`), status: 404 },
  ],
  'GET /csat/summary': [{ slots: [], request: () => get('/csat/summary'), status: 200 }],
  // Survey tokens are the credential; a forged one is unknown whoever sends it.
  'GET /csat/:token': [{ slots: ['path:token'], request: (_a, b) => get(`/csat/${forgedSurveyToken(b.ticketId)}`), status: 404 }],
  'POST /csat/:token': [
    { slots: ['path:token'], request: (_a, b) => send('POST', `/csat/${forgedSurveyToken(b.ticketId)}`, { score: 1 }), status: 404 },
  ],
  'POST /tickets/:id/csat': [
    { slots: ['path:id'], request: (_a, b) => send('POST', `/tickets/${b.ticketId}/csat`, { score: 1 }), status: 404 },
  ],
  'GET /kb/sections': [{ slots: [], request: () => get('/kb/sections'), status: 200 }],
  'POST /kb/sections': [
    {
      slots: ['body:parentId'],
      request: (_a, b) => send('POST', '/kb/sections', { name: 'Cross', parentId: b.kbCategoryId }),
      status: 400,
    },
  ],
  'PATCH /kb/sections/:id': [
    { slots: ['path:id'], request: (_a, b) => send('PATCH', `/kb/sections/${b.sectionId}`, { name: 'Hijacked' }), status: 404 },
    {
      slots: ['body:parentId'],
      request: (a, b) => send('PATCH', `/kb/sections/${a.ids.sectionId}`, { parentId: b.kbCategoryId }),
      status: 400,
    },
  ],
  'DELETE /kb/sections/:id': [{ slots: ['path:id'], request: (_a, b) => send('DELETE', `/kb/sections/${b.sectionId}`), status: 404 }],
  'GET /kb/articles': [
    { slots: [], request: () => get('/kb/articles?limit=100'), status: 200 },
    { slots: ['query:sectionId'], request: (_a, b) => get(`/kb/articles?sectionId=${b.sectionId}`), status: 200 },
    { slots: ['query:after'], request: (_a, b) => get(`/kb/articles?after=${b.articleId}`), status: 200 },
  ],
  'POST /kb/articles': [
    {
      slots: ['body:sectionId'],
      request: (_a, b) => send('POST', '/kb/articles', { title: 'Cross', sectionId: b.sectionId }),
      status: 400,
    },
  ],
  'GET /kb/articles/:id': [{ slots: ['path:id'], request: (_a, b) => get(`/kb/articles/${b.internalArticleId}`), status: 404 }],
  'PATCH /kb/articles/:id': [
    { slots: ['path:id'], request: (_a, b) => send('PATCH', `/kb/articles/${b.draftArticleId}`, { title: 'Hijacked' }), status: 404 },
    {
      slots: ['body:sectionId'],
      request: (a, b) => send('PATCH', `/kb/articles/${a.ids.draftArticleId}`, { sectionId: b.sectionId }),
      status: 400,
    },
  ],
  'POST /kb/articles/:id/publish': [
    { slots: ['path:id'], request: (_a, b) => send('POST', `/kb/articles/${b.draftArticleId}/publish`, {}), status: 404 },
  ],
  'POST /kb/articles/:id/unpublish': [
    { slots: ['path:id'], request: (_a, b) => send('POST', `/kb/articles/${b.articleId}/unpublish`), status: 404 },
  ],
  'DELETE /kb/articles/:id': [{ slots: ['path:id'], request: (_a, b) => send('DELETE', `/kb/articles/${b.articleId}`), status: 404 }],
  'GET /kb/articles/:id/versions': [{ slots: ['path:id'], request: (_a, b) => get(`/kb/articles/${b.articleId}/versions`), status: 404 }],
  'GET /kb/articles/:id/versions/:version': [
    { slots: ['path:id', 'path:version'], request: (_a, b) => get(`/kb/articles/${b.articleId}/versions/1`), status: 404 },
  ],
  'POST /kb/articles/:id/files': [
    { slots: ['path:id'], request: (_a, b) => send('POST', `/kb/articles/${b.draftArticleId}/files`), status: 404 },
  ],
  'GET /kb/articles/:id/files/:fileId': [
    { slots: ['path:id', 'path:fileId'], request: (_a, b) => get(`/kb/articles/${b.articleId}/files/${b.kbFileId}`), status: 404 },
    { slots: ['path:fileId'], request: (a, b) => get(`/kb/articles/${a.ids.articleId}/files/${b.kbFileId}`), status: 404 },
  ],
  'DELETE /kb/articles/:id/files/:fileId': [
    {
      slots: ['path:id', 'path:fileId'],
      request: (_a, b) => send('DELETE', `/kb/articles/${b.articleId}/files/${b.kbFileId}`),
      status: 404,
    },
    { slots: ['path:fileId'], request: (a, b) => send('DELETE', `/kb/articles/${a.ids.articleId}/files/${b.kbFileId}`), status: 404 },
  ],
  // The help center is public by design and names its tenant by slug; these aim B's ids at A's help center.
  'GET /help/sections': [{ slots: [], request: (a) => get(`/help/sections?tenant=${a.slug}`), status: 200 }],
  'GET /help/articles': [
    { slots: [], request: (a) => get(`/help/articles?tenant=${a.slug}&limit=100`), status: 200 },
    { slots: ['query:sectionId'], request: (a, b) => get(`/help/articles?tenant=${a.slug}&sectionId=${b.sectionId}`), status: 200 },
    { slots: ['query:after'], request: (a, b) => get(`/help/articles?tenant=${a.slug}&after=${b.articleId}`), status: 200 },
  ],
  'GET /help/articles/:id': [{ slots: ['path:id'], request: (a, b) => get(`/help/articles/${b.articleId}?tenant=${a.slug}`), status: 404 }],
  'GET /help/articles/:id/files/:fileId': [
    {
      slots: ['path:id', 'path:fileId'],
      request: (a, b) => get(`/help/articles/${b.articleId}/files/${b.kbFileId}?tenant=${a.slug}`),
      status: 404,
    },
    {
      slots: ['path:fileId'],
      request: (a, b) => get(`/help/articles/${a.ids.articleId}/files/${b.kbFileId}?tenant=${a.slug}`),
      status: 404,
    },
  ],
  'POST /help/articles/:id/feedback': [
    {
      slots: ['path:id'],
      request: (a, b) => send('POST', `/help/articles/${b.articleId}/feedback?tenant=${a.slug}`, { helpful: false }),
      status: 404,
    },
  ],
  'GET /help/search': [
    { slots: [], request: (a) => get(`/help/search?tenant=${a.slug}&facets=locale,sectionId,tags&hitsPerPage=50`), status: 200 },
    {
      slots: ['query:sectionId'],
      request: (a, b) => get(`/help/search?tenant=${a.slug}&sectionId=${b.sectionId}&facets=sectionId`),
      status: 200,
    },
  ],
  'GET /search/tickets': [
    {
      slots: [],
      request: () => get('/search/tickets?facets=status,priority,teamId,assigneeId,categoryId,tags&hitsPerPage=50'),
      status: 200,
    },
    { slots: ['query:teamId'], request: (_a, b) => get(`/search/tickets?teamId=${b.teamId}&facets=teamId`), status: 200 },
    { slots: ['query:assigneeId'], request: (_a, b) => get(`/search/tickets?assigneeId=${b.agentId}&facets=assigneeId`), status: 200 },
    { slots: ['query:categoryId'], request: (_a, b) => get(`/search/tickets?categoryId=${b.categoryId}&facets=categoryId`), status: 200 },
  ],
  'GET /search/articles': [
    { slots: [], request: () => get('/search/articles?facets=status,visibility,locale,sectionId,tags&hitsPerPage=50'), status: 200 },
    { slots: ['query:sectionId'], request: (_a, b) => get(`/search/articles?sectionId=${b.sectionId}&facets=sectionId`), status: 200 },
  ],
};

/** A recurring schedule body aimed at the given organisation and requester. */
function schedule(organisationId: string, requesterId: string, template: Record<string, string> = {}) {
  return {
    name: 'Cross',
    organisationId,
    requesterId,
    kind: 'cron',
    rule: '0 9 1 * *',
    template: { subject: 'S', body: 'B', ...template },
  };
}

/** A well-formed survey token derived from an id (it names no survey). */
function forgedSurveyToken(id: string): string {
  return `sbc_${Buffer.from(id.padEnd(32, '0').slice(0, 32)).toString('base64url')}`;
}

const ID_PATTERN = '^[0-9a-f]{24}$';

/** The part of a JSON Schema these tests read. */
interface Schema {
  type?: string | string[];
  pattern?: string;
  anyOf?: Schema[];
  oneOf?: Schema[];
  allOf?: Schema[];
  items?: Schema;
  properties?: Record<string, Schema>;
}

function takesId(schema: Schema | undefined): boolean {
  if (!schema) return false;
  if (schema.pattern === ID_PATTERN) return true;
  return (
    [...(schema.anyOf ?? []), ...(schema.oneOf ?? []), ...(schema.allOf ?? [])].some(takesId) ||
    (schema.type === 'array' && takesId(schema.items))
  );
}

function bodyIdFields(schema: Schema | undefined, prefix = ''): string[] {
  return Object.entries(schema?.properties ?? {}).flatMap(([name, property]) => {
    if (takesId(property)) return [`${prefix}${name}`];
    const nested = property.type === 'array' ? property.items : property;
    return nested?.properties ? bodyIdFields(nested, `${prefix}${name}.`) : [];
  });
}

/** The id slots of a route: its path parameters, and query and body fields whose schema is an ObjectId. */
function idSlots(doc: OpenAPIV3_1.Document, method: string, path: string): string[] {
  const operation = doc.paths?.[`/api/v1${path.replace(/:(\w+)/g, '{$1}')}`]?.[method.toLowerCase() as 'get'];
  const params = (operation?.parameters ?? []) as OpenAPIV3_1.ParameterObject[];
  const body = (operation?.requestBody as OpenAPIV3_1.RequestBodyObject | undefined)?.content['application/json']?.schema as
    Schema | undefined;
  return [
    ...[...path.matchAll(/:(\w+)/g)].map((m) => `path:${m[1]}`),
    ...params.filter((p) => p.in === 'query' && takesId(p.schema as Schema)).map((p) => `query:${p.name}`),
    ...bodyIdFields(body).map((f) => `body:${f}`),
  ];
}

describe('tenant isolation: tenant A aiming at tenant B', () => {
  let h: ApiHarness;
  let a: TenantWorld;
  let b: TenantWorld;
  let doc: OpenAPIV3_1.Document;
  let bTraces: string[];
  /** Both tenants before the first probe: every probe only reads or is refused, so neither may change. */
  let before: { a: string; b: string };

  beforeAll(async () => {
    h = await ApiHarness.start({ label: 'isolation' });
    [a, b] = await Promise.all([buildTenantWorld(h), buildTenantWorld(h)]);
    doc = (await h.request(null, get('/openapi.json'))).json() as OpenAPIV3_1.Document;
    bTraces = fingerprints(b);
    before = { a: await h.snapshot(a.id), b: await h.snapshot(b.id) };
  });
  afterAll(async () => {
    await h.close();
  });

  it('has a probe for every route and for every id each route takes', () => {
    const routes = h.routes.filter((r) => !r.hidden);
    expect(routes.length).toBeGreaterThan(40);
    const missing: string[] = [];
    for (const route of routes) {
      const probes = PROBES[route.key];
      if (!probes && !NO_ID.includes(route.key)) {
        missing.push(`${route.key}: no isolation probe`);
        continue;
      }
      const covered = new Set((probes ?? []).flatMap((p) => p.slots));
      for (const slot of idSlots(doc, route.method, route.path))
        if (!covered.has(slot)) missing.push(`${route.key}: ${slot} is never aimed at another tenant`);
    }
    const known = new Set(routes.map((r) => r.key));
    for (const key of [...Object.keys(PROBES), ...NO_ID])
      if (!known.has(key)) missing.push(`${key}: probe for a route that does not exist`);
    expect(missing).toEqual([]);
  });

  const cases = Object.entries(PROBES).flatMap(([key, probes]) =>
    probes.map((probe, index) => ({ name: `${key} #${index + 1} ${probe.slots.join(', ') || '(list)'}`, probe })),
  );

  // Probes only read or are refused, so they run side by side.
  it.concurrent.for(cases)('$name', async ({ probe }, { expect }) => {
    const mutation = probe.request(a, b.ids).method !== 'GET';
    const roles: Array<[string, Person]> = [
      ['admin', a.admin],
      ['manager', a.manager],
      ['agent', a.agent],
      ['customer', a.customer],
    ];
    const answers = await Promise.all(
      roles.map(([, person]) =>
        Promise.all([h.request(person.auth, probe.request(a, b.ids)), h.request(person.auth, probe.request(a, ghostIds()))]),
      ),
    );
    for (const [index, [role]] of roles.entries()) {
      const [foreign, ghost] = answers[index]!;
      const label = `${role}: ${foreign.statusCode} ${foreign.body.slice(0, 200)}`;
      if (role === 'admin') expect(foreign.statusCode, label).toBe(probe.status);
      expect(foreign.statusCode, `${label} (ghost ids: ${ghost.statusCode})`).toBe(ghost.statusCode);
      for (const trace of bTraces) expect(foreign.body.includes(trace), `${label} leaks ${trace}`).toBe(false);
      if (foreign.statusCode >= 400) {
        const strip = (body: string) => ({ ...(JSON.parse(body) as { error: object }).error, request_id: undefined });
        expect(strip(foreign.body), label).toEqual(strip(ghost.body));
      } else if (probe.slots.some((slot) => slot.startsWith('query:') && slot !== 'query:after')) {
        // A filter naming B's object selects exactly what a filter naming nothing selects.
        expect(foreign.json(), label).toEqual(ghost.json());
      }
      if (mutation) expect(foreign.statusCode, `${label}: a mutation aimed at B must fail`).toBeGreaterThanOrEqual(400);
    }
  });

  it('left both tenants exactly as they were', async () => {
    expect(await h.snapshot(b.id), 'tenant B changed').toBe(before.b);
    expect(await h.snapshot(a.id), 'tenant A changed').toBe(before.a);
  });
});
