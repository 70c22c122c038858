import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { oid } from '../lib/ids.ts';
import { ApiHarness, expectError, randomIp, type Person, type TenantFixture } from '../testing/api-harness.ts';
import { multipartBody } from '../testing/multipart.ts';

interface Article {
  id: string;
  title: string;
  bodyHtml: string;
  status: string;
  visibility: string;
  version: number;
  publishedVersion: number | null;
  hasUnpublishedChanges: boolean;
  helpful: { yes: number; no: number };
  files: Array<{ id: string; filename: string }>;
}

describe('knowledge base lifecycle', () => {
  let h: ApiHarness;
  let t: TenantFixture;
  let manager: Person;
  let agent: Person;
  let customer: Person;
  let categoryId: string;
  let sectionId: string;

  const help = (path: string) => `${path}${path.includes('?') ? '&' : '?'}tenant=${t.slug}`;
  const anonymous = () => ({ ip: randomIp() });

  beforeAll(async () => {
    h = await ApiHarness.start({ label: 'kb' });
    t = await h.signUpTenant();
    [manager, agent, customer] = await Promise.all([
      h.createPerson(t, 'manager'),
      h.createPerson(t, 'agent'),
      h.createPerson(t, 'customer'),
    ]);
    categoryId = (await h.ok<{ id: string }>(t.admin, 'POST', '/kb/sections', { name: 'Getting started' })).id;
    sectionId = (await h.ok<{ id: string }>(manager, 'POST', '/kb/sections', { name: 'Routers', parentId: categoryId })).id;
  });
  afterAll(async () => {
    await h.close();
  });

  it('keeps sections two levels deep and refuses to delete one that holds something', async () => {
    const nested = await h.request(t.admin.auth, { method: 'POST', url: '/kb/sections', body: { name: 'Too deep', parentId: sectionId } });
    expect(expectError(nested, 400, 'validation_failed').details).toEqual([{ path: '/parentId', message: 'not a category' }]);
    expectError(await h.request(agent.auth, { method: 'POST', url: '/kb/sections', body: { name: 'Agents cannot' } }), 403, 'forbidden');
    expectError(await h.request(t.admin.auth, { method: 'DELETE', url: `/kb/sections/${categoryId}` }), 409, 'conflict');
    const empty = await h.ok<{ id: string }>(t.admin, 'POST', '/kb/sections', { name: 'Empty' });
    await h.ok(t.admin, 'DELETE', `/kb/sections/${empty.id}`);
  });

  it('takes an article from draft to published, versioned, and shows readers only the published version', async () => {
    const created = await h.ok<Article>(agent, 'POST', '/kb/articles', {
      title: 'Reset your router',
      body: '<p>Hold the button for <strong>ten</strong> seconds.</p><script>alert(1)</script><img src="x" onerror="alert(2)">',
      sectionId,
      tags: ['router', 'howto'],
    });
    expect(created).toMatchObject({ status: 'draft', version: 1, publishedVersion: null, visibility: 'public' });
    expect(created.bodyHtml).toContain('<strong>ten</strong>');
    expect(created.bodyHtml).not.toMatch(/script|onerror|alert/);

    expectError(await h.request(anonymous(), { method: 'GET', url: help(`/help/articles/${created.id}`) }), 404, 'not_found');
    expectError(await h.request(agent.auth, { method: 'POST', url: `/kb/articles/${created.id}/publish`, body: {} }), 403, 'forbidden');
    const live = await h.ok<Article>(manager, 'POST', `/kb/articles/${created.id}/publish`, {});
    expect(live).toMatchObject({ status: 'published', publishedVersion: 1, hasUnpublishedChanges: false });

    const edited = await h.ok<Article>(agent, 'PATCH', `/kb/articles/${created.id}`, {
      body: 'Hold the button for twenty seconds.',
      format: 'text',
      baseVersion: 1,
      note: 'Longer',
    });
    expect(edited).toMatchObject({ version: 2, publishedVersion: 1, hasUnpublishedChanges: true });
    const read = await h.ok<{ title: string; bodyHtml: string }>(anonymous(), 'GET', help(`/help/articles/${created.id}`));
    expect(read.bodyHtml).toContain('ten');
    expect(read.bodyHtml).not.toContain('twenty');

    const stale = await h.request(agent.auth, {
      method: 'PATCH',
      url: `/kb/articles/${created.id}`,
      body: { title: 'Stale', baseVersion: 1 },
    });
    expect(expectError(stale, 409, 'conflict').details).toEqual({ version: 2 });
    const unchanged = await h.ok<Article>(agent, 'PATCH', `/kb/articles/${created.id}`, { title: 'Reset your router' });
    expect(unchanged.version).toBe(2);

    const history = await h.ok<{ items: Array<{ version: number; live: boolean; note: string }> }>(
      agent,
      'GET',
      `/kb/articles/${created.id}/versions`,
    );
    expect(history.items.map((v) => [v.version, v.live, v.note])).toEqual([
      [2, false, 'Longer'],
      [1, true, ''],
    ]);
    const first = await h.ok<{ bodyHtml: string }>(agent, 'GET', `/kb/articles/${created.id}/versions/1`);
    expect(first.bodyHtml).toContain('ten');
    expectError(await h.request(agent.auth, { method: 'GET', url: `/kb/articles/${created.id}/versions/3` }), 404, 'not_found');

    await h.ok(t.admin, 'POST', `/kb/articles/${created.id}/publish`, { version: 2 });
    expect((await h.ok<{ bodyHtml: string }>(customer, 'GET', help(`/help/articles/${created.id}`))).bodyHtml).toContain('twenty');

    const versions = await h.domain.models.KbArticleVersion.find({ tenantId: oid(t.id), articleId: oid(created.id) }).lean();
    expect(versions.map((v) => v.version).sort()).toEqual([1, 2]);
    const types = h.published.flatMap((b) => b.events).filter((e) => e.data.articleId === created.id);
    expect(types.map((e) => e.type)).toEqual(['article.created', 'article.published', 'article.updated', 'article.published']);
    expect(types.every((e) => e.audience === 'staff' && e.ticketId === null)).toBe(true);
  });

  it('hides internal articles and drafts from the help center and from customers', async () => {
    const internal = await h.ok<Article>(agent, 'POST', '/kb/articles', {
      title: 'Escalation matrix',
      body: 'Call the on-call engineer.',
      format: 'text',
      sectionId,
      visibility: 'internal',
    });
    await h.ok(manager, 'POST', `/kb/articles/${internal.id}/publish`, {});
    expectError(await h.request(customer.auth, { method: 'GET', url: help(`/help/articles/${internal.id}`) }), 404, 'not_found');
    for (const who of [customer.auth, anonymous()]) {
      const { items } = await h.ok<{ items: Array<{ id: string }> }>(who, 'GET', help('/help/articles'));
      expect(items.map((a) => a.id)).not.toContain(internal.id);
    }
    expectError(await h.request(customer.auth, { method: 'GET', url: `/kb/articles/${internal.id}` }), 403, 'forbidden');
    expect((await h.ok<Article>(agent, 'GET', `/kb/articles/${internal.id}`)).visibility).toBe('internal');

    const sections = await h.ok<{ items: Array<{ id: string; articleCount: number }> }>(anonymous(), 'GET', help('/help/sections'));
    const counts = Object.fromEntries(sections.items.map((s) => [s.id, s.articleCount]));
    expect(counts[sectionId]).toBe(1);
    expect(counts[categoryId]).toBe(0);
  });

  it('counts one helpful vote per reader and lets a reader change it', async () => {
    const article = await h.ok<Article>(agent, 'POST', '/kb/articles', {
      title: 'Change your plan',
      body: 'Open billing.',
      format: 'text',
    });
    const vote = (who: { ip: string; cookie?: string | null }, helpful: boolean) =>
      h.request(who, { method: 'POST', url: help(`/help/articles/${article.id}/feedback`), body: { helpful } });
    expectError(await vote(anonymous(), true), 404, 'not_found');
    await h.ok(manager, 'POST', `/kb/articles/${article.id}/publish`, {});
    const reader = anonymous();
    expect((await vote(reader, true)).json()).toEqual({ helpful: { yes: 1, no: 0 } });
    expect((await vote(reader, false)).json()).toEqual({ helpful: { yes: 0, no: 1 } });
    expect((await vote(customer.auth, true)).json()).toEqual({ helpful: { yes: 1, no: 1 } });
    expect((await vote(customer.auth, true)).json()).toEqual({ helpful: { yes: 1, no: 1 } });
    const votes = await Promise.all(Array.from({ length: 6 }, () => vote(anonymous(), true)));
    expect(votes.every((r) => r.statusCode === 200)).toBe(true);
    expect((await h.ok<Article>(agent, 'GET', `/kb/articles/${article.id}`)).helpful).toEqual({ yes: 7, no: 1 });
  });

  it('serves files of published public articles to readers and removes them with the article', async () => {
    const article = await h.ok<Article>(agent, 'POST', '/kb/articles', { title: 'Wiring diagram', body: 'See the file.', format: 'text' });
    const upload = multipartBody([{ filename: 'wiring.txt', content: Buffer.from('red to red') }]);
    const withFile = (
      await h.request(agent.auth, { method: 'POST', url: `/kb/articles/${article.id}/files`, ...upload })
    ).json() as Article;
    const fileId = withFile.files[0]!.id;
    expect(withFile.files[0]!.filename).toBe('wiring.txt');
    const staff = await h.request(agent.auth, { method: 'GET', url: `/kb/articles/${article.id}/files/${fileId}` });
    expect(staff.statusCode).toBe(200);
    expect(staff.body).toBe('red to red');
    expectError(
      await h.request(anonymous(), { method: 'GET', url: help(`/help/articles/${article.id}/files/${fileId}`) }),
      404,
      'not_found',
    );
    await h.ok(manager, 'POST', `/kb/articles/${article.id}/publish`, {});
    const publicFile = await h.request(anonymous(), { method: 'GET', url: help(`/help/articles/${article.id}/files/${fileId}`) });
    expect(publicFile.statusCode).toBe(200);
    expect(publicFile.headers['content-security-policy']).toContain('sandbox');

    await h.ok(manager, 'POST', `/kb/articles/${article.id}/unpublish`, {});
    expectError(await h.request(anonymous(), { method: 'GET', url: help(`/help/articles/${article.id}`) }), 404, 'not_found');
    expectError(await h.request(agent.auth, { method: 'DELETE', url: `/kb/articles/${article.id}` }), 403, 'forbidden');
    await h.ok(manager, 'DELETE', `/kb/articles/${article.id}`);
    expectError(await h.request(agent.auth, { method: 'GET', url: `/kb/articles/${article.id}` }), 404, 'not_found');
    const tenantId = oid(t.id);
    expect(await h.domain.models.Attachment.countDocuments({ tenantId, _id: oid(fileId) })).toBe(0);
    expect(await h.domain.models.KbArticleVersion.countDocuments({ tenantId, articleId: oid(article.id) })).toBe(0);
  });

  it('answers the widget with published public articles from the search index, linking to the portal', async () => {
    const article = await h.ok<Article>(agent, 'POST', '/kb/articles', {
      title: 'Firmware update',
      body: 'Download the firmware and flash it.',
      format: 'text',
    });
    const hidden = await h.ok<Article>(agent, 'POST', '/kb/articles', {
      title: 'Firmware internals',
      body: 'Internal firmware notes.',
      format: 'text',
      visibility: 'internal',
    });
    await h.ok(manager, 'POST', `/kb/articles/${article.id}/publish`, {});
    await h.ok(manager, 'POST', `/kb/articles/${hidden.id}/publish`, {});
    await h.index(t.id);
    const suggestions = await h.domain.widget.suggest(oid(t.id), 'firmwre');
    expect(suggestions.map((s) => s.id)).toEqual([article.id]);
    expect(suggestions[0]).toMatchObject({ title: 'Firmware update', url: `http://desk.switchboard.test/t/${t.slug}/kb/${article.id}` });
    expect(suggestions[0]!.snippet).toContain('firmware');
  });
});
