import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiHarness, expectError, randomIp, type Person, type TenantFixture } from '../testing/api-harness.ts';

interface TicketResult {
  hits: Array<{
    ticket: { id: string; subject: string; teamId: string | null };
    highlights: { subject: Array<{ text: string; match: boolean }>; body: Array<{ text: string; match: boolean }> };
  }>;
  total: number;
  facets: Record<string, Array<{ value: string; count: number }>>;
  q: string;
  truncated: boolean;
}
interface ArticleResult {
  hits: Array<{ article: { id: string; title: string; status: string; visibility: string } }>;
  total: number;
  facets: Record<string, Array<{ value: string; count: number }>>;
}

interface Side {
  tenant: TenantFixture;
  agent: Person;
  customer: Person;
  teamId: string;
  tickets: string[];
  articles: { published: string; internal: string; draft: string };
}

/**
 * Search through the API, two tenants on one engine: what one tenant finds never includes
 * the other's tickets or articles, whether reached by a word, a typo, a prefix, a facet or
 * a filter; hostile input is refused or treated as text; an engine outage is a 503 for
 * search alone.
 */
describe('search through the API', () => {
  let h: ApiHarness;
  let a: Side;
  let b: Side;

  const side = async (words: { subject: string; body: string; tag: string; article: string }): Promise<Side> => {
    const tenant = await h.signUpTenant();
    const team = await h.ok<{ id: string }>(tenant.admin, 'POST', '/teams', { name: `Hardware ${words.tag}` });
    const [agent, customer] = await Promise.all([h.createPerson(tenant, 'agent'), h.createPerson(tenant, 'customer')]);
    const tickets: string[] = [];
    for (const [subject, body] of [
      [words.subject, words.body],
      ['Printer keeps jamming', 'The office printer jams on every second page.'],
    ]) {
      const { ticket } = await h.ok<{ ticket: { id: string } }>(agent, 'POST', '/tickets', {
        subject,
        body,
        format: 'text',
        requesterId: customer.id,
        teamId: team.id,
        tags: [words.tag],
      });
      tickets.push(ticket.id);
    }
    const article = (title: string, visibility: 'public' | 'internal') =>
      h.ok<{ id: string }>(agent, 'POST', '/kb/articles', {
        title,
        body: `${words.article} explained step by step.`,
        format: 'text',
        visibility,
        tags: [words.tag],
      });
    const [published, internal, draft] = await Promise.all([
      article(`${words.article} guide`, 'public'),
      article(`${words.article} escalation`, 'internal'),
      article(`${words.article} draft`, 'public'),
    ]);
    await h.ok(tenant.admin, 'POST', `/kb/articles/${published.id}/publish`, {});
    await h.ok(tenant.admin, 'POST', `/kb/articles/${internal.id}/publish`, {});
    await h.index(tenant.id);
    return {
      tenant,
      agent,
      customer,
      teamId: team.id,
      tickets,
      articles: { published: published.id, internal: internal.id, draft: draft.id },
    };
  };

  const tickets = (who: Side, query: string) => h.ok<TicketResult>(who.agent, 'GET', `/search/tickets?${query}`);

  beforeAll(async () => {
    h = await ApiHarness.start({ label: 'search' });
    a = await side({
      subject: 'Router reboots nightly',
      body: 'Our router reboots every night at midnight.',
      tag: 'network',
      article: 'Router',
    });
    b = await side({
      subject: 'Zanzibarite calibration failed',
      body: 'The zanzibarite sensor needs calibration.',
      tag: 'secretb',
      article: 'Zanzibarite',
    });
  });
  afterAll(async () => {
    await h.close();
  });

  it('finds a tenant’s tickets by word, typo and prefix, with highlights', async () => {
    for (const q of ['router', 'rooter', 'rout', 'reboots nightly']) {
      const result = await tickets(a, `q=${encodeURIComponent(q)}`);
      expect(
        result.hits.map((hit) => hit.ticket.id),
        q,
      ).toEqual([a.tickets[0]]);
    }
    const [hit] = (await tickets(a, 'q=router')).hits;
    expect(hit!.highlights.subject.filter((s) => s.match).map((s) => s.text.toLowerCase())).toEqual(['router']);
    expect(hit!.highlights.body.some((s) => s.match)).toBe(true);
  });

  it('never reaches another tenant: words, typos, prefixes, shared words, facets and filters', async () => {
    for (const q of ['zanzibarite', 'zanzibarit', 'zanzibrite', 'zanzib', 'secretb', 'calibration']) {
      const result = await tickets(a, `q=${encodeURIComponent(q)}&facets=tags,teamId,status`);
      expect(result.total, q).toBe(0);
      expect(JSON.stringify({ hits: result.hits, facets: result.facets })).not.toContain('secretb');
    }
    const shared = await tickets(a, 'q=printer&facets=tags,teamId,status,priority,assigneeId,categoryId');
    expect(shared.hits.map((hit) => hit.ticket.id)).toEqual([a.tickets[1]]);
    expect(shared.facets.tags).toEqual([{ value: 'network', count: 1 }]);
    expect(shared.facets.teamId).toEqual([{ value: a.teamId, count: 1 }]);
    const everything = await tickets(a, 'facets=tags,teamId&hitsPerPage=50');
    expect(everything.hits.map((hit) => hit.ticket.id).sort()).toEqual([...a.tickets].sort());
    expect(everything.facets.tags!.map((f) => f.value)).toEqual(['network']);
    expect((await tickets(a, `teamId=${b.teamId}`)).total).toBe(0);
    expect((await tickets(a, `tags=secretb`)).total).toBe(0);
    expect((await tickets(b, 'q=printer')).hits.map((hit) => hit.ticket.id)).toEqual([b.tickets[1]]);
  });

  it('counts a filtered facet without its own filter, so more values stay selectable', async () => {
    await h.ok(a.agent, 'PATCH', `/tickets/${a.tickets[0]}`, { priority: 'high' });
    await h.index(a.tenant.id);
    const result = await tickets(a, 'priority=high&facets=priority,status');
    expect(result.hits.map((hit) => hit.ticket.id)).toEqual([a.tickets[0]]);
    expect(result.facets.priority).toEqual([
      { value: 'high', count: 1 },
      { value: 'normal', count: 1 },
    ]);
    expect(result.facets.status).toEqual([{ value: 'new', count: 1 }]);
  });

  it('scopes article search: staff get everything of their tenant, customers and the help center published public only', async () => {
    const staff = await h.ok<ArticleResult>(a.agent, 'GET', '/search/articles?q=router&facets=status,visibility');
    expect(staff.hits.map((hit) => hit.article.id).sort()).toEqual(Object.values(a.articles).sort());
    expect(staff.facets.visibility).toEqual([
      { value: 'public', count: 2 },
      { value: 'internal', count: 1 },
    ]);
    const customer = await h.ok<ArticleResult>(a.customer, 'GET', '/search/articles?q=router');
    expect(customer.hits.map((hit) => hit.article.id)).toEqual([a.articles.published]);
    for (const sneaky of ['status=draft', 'visibility=internal', 'status=draft,published&visibility=internal']) {
      expect((await h.ok<ArticleResult>(a.customer, 'GET', `/search/articles?q=router&${sneaky}`)).total, sneaky).toBe(0);
    }
    const portal = await h.ok<ArticleResult>({ ip: randomIp() }, 'GET', `/help/search?tenant=${a.tenant.slug}&q=ruter`);
    expect(portal.hits.map((hit) => hit.article.id)).toEqual([a.articles.published]);
    for (const q of ['zanzibarite', 'zanzibrite', 'zanz']) {
      expect((await h.ok<ArticleResult>(a.agent, 'GET', `/search/articles?q=${q}`)).total, q).toBe(0);
      expect((await h.ok<ArticleResult>(a.customer, 'GET', `/search/articles?q=${q}`)).total, q).toBe(0);
      expect((await h.ok<ArticleResult>({ ip: randomIp() }, 'GET', `/help/search?tenant=${a.tenant.slug}&q=${q}`)).total, q).toBe(0);
    }
    expectError(await h.request(a.customer.auth, { method: 'GET', url: '/search/tickets?q=router' }), 403, 'forbidden');
    expectError(await h.request({ ip: randomIp() }, { method: 'GET', url: '/search/articles?q=router' }), 401, 'unauthenticated');
    expectError(await h.request({ ip: randomIp() }, { method: 'GET', url: `/help/search?tenant=no-such-desk&q=router` }), 404, 'not_found');
  });

  it('treats filter syntax in the query as words and refuses it in filter values', async () => {
    for (const q of [
      `router" OR tenantId = "${b.tenant.id}`,
      `tenantId = ${b.tenant.id}`,
      'router AND tags = secretb',
      "router' || '1'='1",
      '{"$gt": ""}',
      'status:open OR 1=1',
    ]) {
      const result = await tickets(a, `q=${encodeURIComponent(q)}`);
      expect(
        result.hits.every((hit) => a.tickets.includes(hit.ticket.id)),
        q,
      ).toBe(true);
    }
    for (const bad of [
      `tags=${encodeURIComponent('a" OR tenantId = "x')}`,
      `teamId=${encodeURIComponent(`${b.teamId} OR 1=1`)}`,
      'status=open)',
      'facets=tenantId',
      'facets=body',
      'facets=nonsense',
      'sort=tenantId',
      'tenantId=abc',
      'filters[tenantId]=abc',
      'page=0',
      'page=201',
      'hitsPerPage=500',
    ]) {
      expectError(await h.request(a.agent.auth, { method: 'GET', url: `/search/tickets?${bad}` }), 400, 'validation_failed');
    }
    expectError(await h.request(a.agent.auth, { method: 'GET', url: '/search/articles?facets=requesterName' }), 400, 'validation_failed');
    expectError(
      await h.request({ ip: randomIp() }, { method: 'GET', url: `/help/search?tenant=${a.tenant.slug}&facets=visibility` }),
      400,
      'validation_failed',
    );
  });

  it('cuts long queries and refuses absurd ones', async () => {
    const long = await tickets(a, `q=${encodeURIComponent(`router ${'x'.repeat(600)}`)}`);
    expect(long.truncated).toBe(true);
    expect(long.q.length).toBe(200);
    expectError(await h.request(a.agent.auth, { method: 'GET', url: `/search/tickets?q=${'y'.repeat(1001)}` }), 400, 'validation_failed');
  });

  it('answers 503 for search alone when the engine is down', async () => {
    await h.search.close();
    for (const url of ['/search/tickets?q=router', '/search/articles?q=router']) {
      const error = expectError(await h.request(a.agent.auth, { method: 'GET', url }), 503, 'unavailable');
      expect(error.message).toMatch(/search/i);
    }
    expectError(
      await h.request({ ip: randomIp() }, { method: 'GET', url: `/help/search?tenant=${a.tenant.slug}&q=router` }),
      503,
      'unavailable',
    );
    expect((await h.ok<{ items: unknown[] }>(a.agent, 'GET', '/tickets')).items.length).toBe(2);
    expect((await h.ok<{ items: unknown[] }>({ ip: randomIp() }, 'GET', `/help/articles?tenant=${a.tenant.slug}`)).items.length).toBe(1);
  });
});
