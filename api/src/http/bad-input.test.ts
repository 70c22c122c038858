import type { OpenAPIV3_1 } from 'openapi-types';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiHarness, DEFAULT_BODY_LIMIT, expectError, randomIp, uniqueSuffix, type ApiRequest } from '../testing/api-harness.ts';
import { buildTenantWorld, type TenantWorld } from '../testing/tenant-world.ts';
import { STATUS_TRANSITIONS } from '../tickets/ticket-status.ts';

/**
 * Hostile and sloppy input: every body field of every route gets a NoSQL operator, every
 * route an unknown field and wrong types, every query parameter bracket operators, every
 * path id malformed values. Each answer is a 4xx in the one error shape, and no
 * collection of any tenant changes.
 */

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
type Json = Record<string, unknown>;

const OPERATOR = { $gt: '' };

/** The routes with a JSON body (the first test proves this list matches the app). */
const BODY_ROUTES = [
  'POST /tenants',
  'PATCH /tenant',
  'POST /auth/login',
  'POST /auth/mfa/verify',
  'POST /auth/password-reset',
  'POST /auth/password-reset/complete',
  'PUT /me/status',
  'POST /me/password',
  'POST /me/mfa/confirm',
  'POST /me/mfa/disable',
  'POST /me/tokens',
  'POST /users',
  'PATCH /users/:id',
  'POST /organisations',
  'PATCH /organisations/:id',
  'POST /teams',
  'PATCH /teams/:id',
  'POST /categories',
  'PATCH /categories/:id',
  'POST /macros',
  'PATCH /macros/:id',
  'POST /tickets',
  'PATCH /tickets/:id',
  'POST /tickets/:id/status',
  'POST /tickets/:id/assign',
  'POST /tickets/:id/merge',
  'POST /tickets/:id/entries',
  'POST /tickets/:id/time-entries',
  'POST /widget/session',
  'POST /portal/signup',
  'PATCH /mail-settings',
  'PUT /me/notification-preferences',
  'POST /webhooks',
  'PATCH /webhooks/:id',
  'POST /recurring-schedules',
  'PATCH /recurring-schedules/:id',
  'POST /csat/:token',
  'POST /tickets/:id/csat',
  'POST /sla/calendars',
  'PUT /sla/calendars/:id',
  'POST /sla/policies',
  'PUT /sla/policies/:id',
  'POST /boards',
  'POST /kb/sections',
  'PATCH /kb/sections/:id',
  'POST /kb/articles',
  'PATCH /kb/articles/:id',
  'POST /kb/articles/:id/publish',
  'POST /help/articles/:id/feedback',
];

/** A complete valid request per route with a body: every optional field filled, so only the injected fault is wrong. */
function validRequests(w: TenantWorld): Record<string, { url: string; body: Json }> {
  const t = w.tickets.customer;
  const day = [{ start: '09:00', end: '17:00' }];
  const calendarBody = {
    name: 'Office',
    timeZone: 'Europe/Berlin',
    hours: { monday: day, tuesday: day, wednesday: day, thursday: day, friday: day, saturday: [], sunday: [] },
    holidays: [{ date: '2026-12-24', name: 'Christmas Eve', hours: [{ start: '09:00', end: '12:00' }] }],
  };
  const policyBody = {
    name: 'Gold',
    order: 1,
    active: true,
    conditions: { priorities: ['high'], channels: ['email'], organisationIds: [w.organisationId], categoryIds: [w.categoryId] },
    targetMinutes: { firstResponse: 30, nextResponse: 60, resolution: 480 },
    warningThresholdPercent: 80,
    pauseStatuses: ['pending'],
    calendarId: w.ids.slaCalendarId,
    escalations: [{ on: 'breach', action: 'assign_team', teamId: w.teamId }],
  };
  const scheduleBody = {
    name: 'N',
    organisationId: w.organisationId,
    requesterId: w.customer.id,
    kind: 'rrule',
    rule: 'FREQ=WEEKLY;BYDAY=MO;BYHOUR=9;BYMINUTE=0',
    timezone: 'Europe/Berlin',
    startAt: '2026-01-05T09:00:00+01:00',
    template: { subject: 'S', body: 'B', priority: 'low', teamId: w.teamId, assigneeId: w.agent.id, categoryId: w.categoryId, tags: ['x'] },
    active: true,
  };
  return {
    'POST /tenants': {
      url: '/tenants',
      body: {
        slug: `bad-${uniqueSuffix()}`,
        name: 'Bad',
        timezone: 'UTC',
        admin: { name: 'A', email: 'a@example.test', password: 'long-enough-1' },
      },
    },
    'PATCH /tenant': {
      url: '/tenant',
      body: {
        name: 'N',
        timezone: 'UTC',
        businessHours: [{ weekday: 1, intervals: [{ start: '09:00', end: '17:00' }] }],
        customersSeeOrganisationTickets: true,
        aiConfidenceThreshold: 0.5,
        widgetAllowedOrigins: ['https://example.test'],
        widgetRequireVerifiedIdentity: false,
        widgetPrimaryColor: '#112233',
        widgetTextColor: '#ffffff',
        widgetGreeting: 'Hi',
      },
    },
    'POST /auth/login': { url: '/auth/login', body: { tenant: w.slug, email: w.agent.email, password: w.agent.password } },
    'POST /auth/mfa/verify': { url: '/auth/mfa/verify', body: { code: '123456' } },
    'POST /auth/password-reset': { url: '/auth/password-reset', body: { tenant: w.slug, email: w.agent.email } },
    'POST /auth/password-reset/complete': {
      url: '/auth/password-reset/complete',
      body: { tenant: w.slug, token: 'x'.repeat(40), password: 'long-enough-1' },
    },
    'PUT /me/status': { url: '/me/status', body: { status: 'online' } },
    'POST /me/password': { url: '/me/password', body: { currentPassword: 'whatever', newPassword: 'long-enough-1' } },
    'POST /me/mfa/confirm': { url: '/me/mfa/confirm', body: { code: '123456' } },
    'POST /me/mfa/disable': { url: '/me/mfa/disable', body: { code: '123456' } },
    'POST /me/tokens': { url: '/me/tokens', body: { name: 'n', scopes: ['read'], expiresInDays: 5 } },
    'POST /users': {
      url: '/users',
      body: {
        email: 'u@example.test',
        name: 'U',
        role: 'customer',
        password: 'long-enough-1',
        organisationId: w.organisationId,
        teamIds: [w.teamId],
        skills: ['x'],
        capacity: 3,
        phone: '1',
        title: 't',
        locale: 'en',
      },
    },
    'PATCH /users/:id': {
      url: `/users/${w.outsider.id}`,
      body: {
        name: 'U',
        role: 'customer',
        organisationId: w.organisationId,
        teamIds: [w.teamId],
        skills: ['x'],
        capacity: 3,
        phone: '1',
        title: 't',
        locale: 'en',
        active: true,
      },
    },
    'POST /organisations': {
      url: '/organisations',
      body: { name: 'O', domains: ['o.example'], notes: 'n', locations: [{ name: 'HQ', address: 'a', phone: '1' }] },
    },
    'PATCH /organisations/:id': {
      url: `/organisations/${w.organisationId}`,
      body: { name: 'O', domains: ['o.example'], notes: 'n', locations: [{ name: 'HQ', address: 'a', phone: '1' }] },
    },
    'POST /teams': { url: '/teams', body: { name: 'T', description: 'd', assignment: 'manual' } },
    'PATCH /teams/:id': { url: `/teams/${w.teamId}`, body: { name: 'T', description: 'd', assignment: 'manual' } },
    'POST /categories': { url: '/categories', body: { name: 'C', description: 'd', teamId: w.teamId, skill: 's', active: true } },
    'PATCH /categories/:id': {
      url: `/categories/${w.categoryId}`,
      body: { name: 'C', description: 'd', teamId: w.teamId, skill: 's', active: true },
    },
    'POST /macros': {
      url: '/macros',
      body: { title: 'M', body: 'b', actions: { status: 'pending', priority: 'low', addTags: ['x'] }, visibility: 'shared' },
    },
    'PATCH /macros/:id': {
      url: `/macros/${w.macroId}`,
      body: { title: 'M', body: 'b', actions: { status: 'pending', priority: 'low', addTags: ['x'] }, visibility: 'shared' },
    },
    'POST /tickets': {
      url: '/tickets',
      body: {
        subject: 'S',
        body: 'B',
        format: 'text',
        priority: 'low',
        requesterId: w.customer.id,
        requester: { email: 'r@example.test', name: 'R' },
        teamId: w.teamId,
        assigneeId: w.agent.id,
        categoryId: w.categoryId,
        tags: ['x'],
        customFields: { plan: 'gold' },
        channel: 'email',
        clientKey: 'client-key-1',
      },
    },
    'PATCH /tickets/:id': {
      url: `/tickets/${t}`,
      body: { subject: 'S', priority: 'low', categoryId: w.categoryId, tags: ['x'], customFields: { plan: 'gold' } },
    },
    'POST /tickets/:id/status': { url: `/tickets/${t}/status`, body: { status: 'pending' } },
    'POST /tickets/:id/assign': { url: `/tickets/${t}/assign`, body: { assigneeId: w.agent.id, teamId: w.teamId } },
    'POST /tickets/:id/merge': { url: `/tickets/${t}/merge`, body: { intoId: w.tickets.colleague } },
    'POST /tickets/:id/entries': {
      url: `/tickets/${t}/entries`,
      body: { kind: 'note', body: 'b', format: 'text', mentions: [w.agent.id], clientKey: 'client-key-2', basedOnVersion: 1, force: true },
    },
    'POST /sla/calendars': { url: '/sla/calendars', body: calendarBody },
    'PUT /sla/calendars/:id': { url: `/sla/calendars/${w.ids.slaCalendarId}`, body: calendarBody },
    'POST /sla/policies': { url: '/sla/policies', body: policyBody },
    'PUT /sla/policies/:id': { url: `/sla/policies/${w.ids.slaPolicyId}`, body: policyBody },
    'POST /boards': { url: '/boards', body: { name: 'Floor', teamIds: [w.teamId] } },
    'POST /tickets/:id/time-entries': {
      url: `/tickets/${t}/time-entries`,
      body: { minutes: 5, billable: true, note: 'n', workedOn: '2026-01-02' },
    },
    'POST /widget/session': {
      url: '/widget/session',
      body: {
        widgetKey: w.widgetKey,
        visitorToken: 'v'.repeat(20),
        identity: { email: 'visitor@example.test', name: 'V', hmac: 'a'.repeat(64) },
      },
    },
    'POST /portal/signup': { url: '/portal/signup', body: { tenant: w.slug, name: 'New Customer', email: 'new-customer@example.test' } },
    'PATCH /mail-settings': {
      url: '/mail-settings',
      body: { acceptUnknownSenders: false, inboundAddress: 'help@customer.example', fromName: 'Help' },
    },
    'PUT /me/notification-preferences': {
      url: '/me/notification-preferences',
      body: { email: { reply: true, assignment: true, mention: true, slaEscalation: false, csat: true }, digest: true },
    },
    'POST /webhooks': { url: '/webhooks', body: { url: 'https://hooks.example.test/x', events: ['ticket.created'], description: 'd' } },
    'PATCH /webhooks/:id': {
      url: `/webhooks/${w.ids.webhookId}`,
      body: { url: 'https://hooks.example.test/y', events: ['*'], description: 'd', active: true, rotateSecret: true },
    },
    'POST /recurring-schedules': { url: '/recurring-schedules', body: scheduleBody },
    'PATCH /recurring-schedules/:id': { url: `/recurring-schedules/${w.ids.scheduleId}`, body: { ...scheduleBody, active: false } },
    'POST /csat/:token': { url: `/csat/sbc_${'a'.repeat(43)}`, body: { score: 3, comment: 'c' } },
    'POST /tickets/:id/csat': { url: `/tickets/${t}/csat`, body: { score: 3, comment: 'c' } },
    'POST /kb/sections': { url: '/kb/sections', body: { name: 'S', description: 'd', parentId: w.ids.kbCategoryId, position: 1 } },
    'PATCH /kb/sections/:id': {
      url: `/kb/sections/${w.ids.sectionId}`,
      body: { name: 'S', description: 'd', parentId: w.ids.kbCategoryId, position: 1 },
    },
    'POST /kb/articles': {
      url: '/kb/articles',
      body: {
        title: 'A',
        body: 'b',
        format: 'text',
        sectionId: w.ids.sectionId,
        locale: 'en',
        visibility: 'public',
        tags: ['x'],
        note: 'n',
      },
    },
    'PATCH /kb/articles/:id': {
      url: `/kb/articles/${w.ids.draftArticleId}`,
      body: {
        title: 'A',
        body: 'b',
        format: 'text',
        sectionId: w.ids.sectionId,
        locale: 'en',
        visibility: 'public',
        tags: ['x'],
        note: 'n',
        baseVersion: 1,
      },
    },
    'POST /kb/articles/:id/publish': { url: `/kb/articles/${w.ids.draftArticleId}/publish`, body: { version: 1 } },
    'POST /help/articles/:id/feedback': { url: `/help/articles/${w.ids.articleId}/feedback?tenant=${w.slug}`, body: { helpful: true } },
  };
}

/** Every property path of a body schema, at every depth (array items as index 0). */
function fieldPaths(schema: Schema | undefined, prefix: Array<string | number> = []): Array<Array<string | number>> {
  return Object.entries(schema?.properties ?? {}).flatMap(([name, property]) => {
    const path = [...prefix, name];
    const object = property.anyOf?.find((s) => s.properties) ?? property;
    const items = property.type === 'array' ? property.items : undefined;
    return [
      path,
      ...(object.properties ? fieldPaths(object, path) : []),
      ...(items ? [[...path, 0], ...(items.properties ? fieldPaths(items, [...path, 0]) : [])] : []),
    ];
  });
}

function setAt(body: Json, path: Array<string | number>, value: unknown): Json {
  const copy = structuredClone(body);
  let node: Record<string | number, unknown> = copy;
  for (const [index, key] of path.entries()) {
    if (index === path.length - 1) node[key] = value;
    else {
      node[key] ??= typeof path[index + 1] === 'number' ? [] : {};
      node = node[key] as Record<string | number, unknown>;
    }
  }
  return copy;
}

/** A value of a type the property does not accept. */
function wrongValue(schema: Schema): unknown {
  const types = new Set([schema.type, ...(schema.anyOf ?? []).map((s) => s.type)].flat().filter(Boolean));
  if (!types.has('number') && !types.has('integer')) return 12345;
  if (!types.has('boolean')) return true;
  return [[]];
}

describe('bad input', () => {
  let h: ApiHarness;
  let w: TenantWorld;
  let doc: OpenAPIV3_1.Document;

  /** Document counts of every collection across all tenants (proves a refused request wrote nothing anywhere). */
  async function totals(): Promise<string> {
    const counts = await Promise.all(
      Object.values(h.domain.models).map((model) =>
        (model as typeof h.domain.models.Tenant).countDocuments({}).setOptions({ crossTenant: true }),
      ),
    );
    return counts.join(',');
  }

  /** Sends a request as the admin and asserts it was refused with `status` (and `code`). */
  async function refused(request: ApiRequest, status: number, code?: string): Promise<{ code: string; details?: unknown }> {
    const error = expectError(await h.request(w.admin.auth, request), status);
    if (code) expect(error.code, `${request.method} ${request.url}: ${error.message}`).toBe(code);
    return error;
  }

  /** Runs refused requests and proves that together they changed no document of any tenant. */
  async function writesNothing(run: () => Promise<void>): Promise<void> {
    const [counts, tenant] = await Promise.all([totals(), h.snapshot(w.id)]);
    await run();
    expect(await totals(), 'documents were added or removed').toBe(counts);
    expect(await h.snapshot(w.id), 'documents were changed').toBe(tenant);
  }

  const bodySchemaOf = (method: string, path: string) =>
    (
      doc.paths?.[`/api/v1${path.replace(/:(\w+)/g, '{$1}')}`]?.[method.toLowerCase() as 'post']?.requestBody as
        OpenAPIV3_1.RequestBodyObject | undefined
    )?.content['application/json']?.schema as Schema | undefined;

  beforeAll(async () => {
    h = await ApiHarness.start({ label: 'badinput' });
    w = await buildTenantWorld(h);
    doc = (await h.request(null, { method: 'GET', url: '/openapi.json' })).json() as OpenAPIV3_1.Document;
  });
  afterAll(async () => {
    await h.close();
  });

  it('has a complete valid body for every route that takes one (the base of every fault below)', () => {
    const withBody = h.routes.filter((r) => !r.hidden && bodySchemaOf(r.method, r.path)).map((r) => r.key);
    const valid = validRequests(w);
    expect(withBody.slice().sort()).toEqual(BODY_ROUTES.slice().sort());
    expect(Object.keys(valid).sort()).toEqual(BODY_ROUTES.slice().sort());
    for (const key of withBody) {
      const [method, path] = key.split(' ') as [string, string];
      const missing = Object.keys(bodySchemaOf(method, path)?.properties ?? {}).filter((field) => !(field in valid[key]!.body));
      expect(missing, `${key} leaves out optional fields`).toEqual([]);
    }
  });

  describe('refused, leaving every collection of every tenant untouched', () => {
    let baseline: { counts: string; tenant: string };
    beforeAll(async () => {
      baseline = { counts: await totals(), tenant: await h.snapshot(w.id) };
    });

    it.concurrent.each(BODY_ROUTES)('%s: {"$gt":""} in every field at every depth, unknown fields, wrong types → 400', async (key) => {
      const [method, path] = key.split(' ') as [string, string];
      const { url, body } = validRequests(w)[key]!;
      const schema = bodySchemaOf(method, path);
      const paths = fieldPaths(schema);
      expect(paths.length).toBeGreaterThan(0);
      await Promise.all([
        ...paths.map(async (fieldPath) => {
          const error = await refused({ method, url, body: setAt(body, fieldPath, OPERATOR) }, 400, 'validation_failed');
          const where = (error.details as Array<{ path: string }>).map((d) => d.path);
          expect(
            where.some((p) => p.startsWith(`/${fieldPath[0]}`)),
            `${key} ${fieldPath.join('.')}: ${JSON.stringify(where)}`,
          ).toBe(true);
        }),
        refused({ method, url, body: { ...body, isAdmin: true } }, 400, 'validation_failed'),
        refused({ method, url, body: { ...body, $where: 'sleep(1000)' } }, 400, 'validation_failed'),
        ...Object.entries(schema?.properties ?? {}).map(([field, property]) =>
          refused({ method, url, body: { ...body, [field]: wrongValue(property) } }, 400, 'validation_failed'),
        ),
      ]);
    });

    it('refuses operators and repeated values in every query parameter', async () => {
      const requests: ApiRequest[] = [];
      for (const route of h.routes.filter((r) => r.method === 'GET' && !r.hidden)) {
        const operation = doc.paths?.[`/api/v1${route.path.replace(/:(\w+)/g, '{$1}')}`]?.get;
        const params = ((operation?.parameters ?? []) as OpenAPIV3_1.ParameterObject[]).filter((p) => p.in === 'query');
        const url = route.path.replace(':id', w.tickets.customer).replace(':entryId', w.timeEntryId);
        for (const param of params) {
          for (const query of [`${param.name}[$ne]=x`, `${param.name}[$gt]=`, `${param.name}[]=x`, `${param.name}.$where=1`])
            requests.push({ method: 'GET', url: `${url}?${query}` });
          if ((param.schema as Schema).type !== 'array') requests.push({ method: 'GET', url: `${url}?${param.name}=1&${param.name}=2` });
        }
      }
      expect(requests.length).toBeGreaterThan(50);
      await Promise.all(requests.map((request) => refused(request, 400, 'validation_failed')));
    });

    it('treats operator-looking text as plain text', async () => {
      for (const q of ['{"$gt":""}', '.*', '$where']) {
        const response = await h.request(w.admin.auth, { method: 'GET', url: `/tickets?q=${encodeURIComponent(q)}` });
        expect(response.statusCode).toBe(200);
        expect((response.json() as { items: unknown[] }).items).toEqual([]);
      }
    });

    it('refuses control characters in every filter text (a NUL once reached MongoDB as a 500)', async () => {
      // Every list whose `q` becomes a MongoDB pattern; the search engines tokenize theirs.
      const filtered = h.routes
        .filter((r) => r.method === 'GET' && !r.hidden && !/^\/(search|help|widget)\//.test(r.path))
        .filter((r) =>
          ((doc.paths?.[`/api/v1${r.path}`]?.get?.parameters ?? []) as OpenAPIV3_1.ParameterObject[]).some(
            (p) => p.in === 'query' && p.name === 'q',
          ),
        )
        .map((r) => r.path);
      expect(filtered).toEqual(expect.arrayContaining(['/tickets', '/tickets/count', '/users', '/organisations']));
      for (const path of filtered)
        for (const q of ['%00', 'gas%00leak', 'a%1Fb', '%7F'])
          expect((await refused({ method: 'GET', url: `${path}?q=${q}` }, 400, 'validation_failed')).details).toEqual(
            expect.arrayContaining([expect.objectContaining({ where: 'querystring' })]),
          );
    });

    it('refuses malformed ids in every path parameter', async () => {
      const withParams = h.routes.filter((r) => !r.hidden && r.path.includes(':'));
      expect(withParams.length).toBeGreaterThan(15);
      const requests: ApiRequest[] = [];
      for (const route of withParams) {
        const valid = validRequests(w)[route.key];
        for (const param of [...route.path.matchAll(/:(\w+)/g)].map((m) => m[1]!)) {
          for (const bad of ['abc', '0'.repeat(23), '0'.repeat(25), 'g'.repeat(24), encodeURIComponent('{"$gt":""}'), '%24gt', 'null']) {
            const url = route.path.replace(/:(\w+)/g, (_m, name: string) =>
              name === param ? bad : name === 'id' ? w.tickets.customer : w.timeEntryId,
            );
            requests.push({ method: route.method, url, ...(valid ? { body: valid.body } : {}) });
          }
        }
      }
      for (const error of await Promise.all(requests.map((request) => refused(request, 400, 'validation_failed')))) {
        expect(error.details).toEqual(expect.arrayContaining([expect.objectContaining({ where: 'params' })]));
      }
    });

    it('refuses malformed query values', async () => {
      for (const url of [
        '/tickets?limit=0',
        '/tickets?limit=abc',
        '/tickets?limit=1000',
        '/tickets?cursor=not-a-cursor',
        '/tickets?status=open,nonsense',
        '/events?after=-1',
        '/events?after=x',
        '/audit?from=yesterday',
        '/users?role=root',
      ]) {
        await refused({ method: 'GET', url }, 400, 'validation_failed');
      }
    });

    it('refuses a body over the limit with 413', async () => {
      const huge = 'x'.repeat(DEFAULT_BODY_LIMIT + 1);
      await refused(
        {
          method: 'POST',
          url: '/tickets',
          payload: JSON.stringify({ subject: 'Big', body: huge }),
          headers: { 'content-type': 'application/json' },
        },
        413,
        'payload_too_large',
      );
      await refused({ method: 'POST', url: '/tickets', body: { subject: 'Long', body: 'x'.repeat(100_001) } }, 400, 'validation_failed');
    });

    it('refuses malformed JSON, prototype pollution and other content types', async () => {
      const json = { 'content-type': 'application/json' };
      for (const payload of ['{"subject":', '{"subject":"a"} trailing', "{'subject':'a'}", '', 'null', '[]', '"text"']) {
        await refused({ method: 'POST', url: '/tickets', payload, headers: json }, 400);
      }
      await refused(
        { method: 'POST', url: '/tickets', payload: '{"subject":"a","body":"b","__proto__":{"role":"admin"}}', headers: json },
        400,
      );
      await refused(
        {
          method: 'POST',
          url: '/tickets',
          payload: '{"subject":"a","body":"b","constructor":{"prototype":{"role":"admin"}}}',
          headers: json,
        },
        400,
      );
      for (const type of ['text/plain', 'application/xml', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x']) {
        await refused(
          { method: 'POST', url: '/tickets', payload: 'subject=a&body=b', headers: { 'content-type': type } },
          415,
          'unsupported_media_type',
        );
      }
    });

    it('refuses a multipart upload whose Content-Type names no boundary (the parser threw a bare error: a 500)', async () => {
      for (const type of ['multipart/form-data', 'multipart/form-data; charset=utf-8', 'multipart/form-data; boundary='])
        await refused(
          { method: 'POST', url: `/tickets/${w.tickets.customer}/attachments`, payload: 'x', headers: { 'content-type': type } },
          400,
          'bad_request',
        );
    });

    it('refuses an empty change or an empty message', async () => {
      await refused({ method: 'PATCH', url: `/tickets/${w.tickets.customer}`, body: {} }, 400, 'validation_failed');
      await refused({ method: 'POST', url: `/tickets/${w.tickets.customer}/assign`, body: {} }, 400, 'validation_failed');
      await refused(
        { method: 'POST', url: `/tickets/${w.tickets.customer}/entries`, body: { kind: 'note', body: '<script>alert(1)</script>' } },
        400,
        'validation_failed',
      );
    });

    it('wrote nothing at all', async () => {
      expect(await totals(), 'documents were added or removed').toBe(baseline.counts);
      expect(await h.snapshot(w.id), 'documents were changed').toBe(baseline.tenant);
    });
  });

  it('refuses disallowed status transitions with 409 and the allowed ones', async () => {
    const { ticket } = await h.ok<{ ticket: { id: string } }>(w.admin, 'POST', '/tickets', {
      subject: 'Lifecycle',
      body: 'x',
      requesterId: w.customer.id,
    });
    const transition = async (from: keyof typeof STATUS_TRANSITIONS, to: string) => {
      const error = await refused({ method: 'POST', url: `/tickets/${ticket.id}/status`, body: { status: to } }, 409, 'invalid_transition');
      expect(error.details).toEqual({ from, to, allowed: STATUS_TRANSITIONS[from] });
    };
    await writesNothing(async () => {
      await transition('new', 'closed');
      await transition('new', 'new');
    });
    await h.ok(w.admin, 'POST', `/tickets/${ticket.id}/status`, { status: 'solved' });
    await writesNothing(() => transition('solved', 'pending'));
    await h.ok(w.admin, 'POST', `/tickets/${ticket.id}/status`, { status: 'closed' });
    await writesNothing(async () => {
      for (const to of ['new', 'open', 'pending', 'on_hold', 'solved', 'closed']) await transition('closed', to);
      await refused(
        { method: 'POST', url: `/tickets/${ticket.id}/entries`, body: { kind: 'reply', body: 'Too late' } },
        409,
        'invalid_transition',
      );
      await refused(
        { method: 'POST', url: `/tickets/${w.tickets.colleague}/merge`, body: { intoId: ticket.id } },
        409,
        'invalid_transition',
      );
      await refused(
        { method: 'POST', url: `/tickets/${ticket.id}/merge`, body: { intoId: w.tickets.colleague } },
        409,
        'invalid_transition',
      );
      await refused(
        { method: 'POST', url: `/tickets/${w.tickets.colleague}/merge`, body: { intoId: w.tickets.colleague } },
        400,
        'validation_failed',
      );
    });
  });

  it('answers unknown routes and methods with the error shape', async () => {
    expectError(await h.request(w.admin.auth, { method: 'GET', url: '/nothing-here' }), 404, 'not_found');
    expectError(await h.request(w.admin.auth, { method: 'PUT', url: `/tickets/${w.tickets.customer}`, body: {} }), 404, 'not_found');
    expectError(await h.request({ ip: randomIp() }, { method: 'DELETE', url: '/tickets' }), 404, 'not_found');
  });
});
