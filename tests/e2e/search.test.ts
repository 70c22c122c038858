/**
 * The console's search in Chromium: the header box answers while the agent types (typos
 * included) with highlighted matches, Enter opens the search page, facets narrow the
 * results, and nothing of another tenant ever shows. Tickets reach the index through the
 * real pipeline: domain events → the `index` queue → the server's embedded engine.
 */
import path from 'node:path';
import { oid } from '@switchboard/api/lib/ids';
import { createTenant } from '@switchboard/realtime/testing/hub-fixtures';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ARTIFACTS, openPage, signIn, startStack, type Stack } from '../src/e2e-harness.ts';

const PASSWORD = 'fixture-password-1';
let stack: Stack;

beforeAll(async () => {
  stack = await startStack('e2esearch');
});
afterAll(() => stack?.close());

describe('console search', () => {
  it('finds tickets while the agent types, with highlights, facets and nothing of another tenant', async () => {
    // Arranged through the server's own domain, so the events feed its index queue.
    const domain = stack.server.domain!;
    const tenant = await createTenant(domain, 'e2e-search');
    const other = await createTenant(domain, 'e2e-search-other');
    const agent = tenant.agents[0]!;
    const open = (subject: string, body: string) =>
      domain.tickets.create(agent.ctx, { subject, body, format: 'text', requester: { email: `cust@e2e-search.test` } }, 'api');
    await open('Router reboots every night', 'Our office router restarts at midnight and drops the VPN.');
    const urgent = await open('Router firmware update failed', 'The router is stuck on the boot logo after the update.');
    await open('Printer toner empty', 'Floor three printer needs toner.');
    await domain.tickets.update(agent.ctx, oid(urgent.ticket.id), { priority: 'urgent' });
    await domain.tickets.create(
      other.agents[0]!.ctx,
      { subject: 'Router of the other tenant', body: 'Secret router notes.', format: 'text', requester: { email: 'x@other.test' } },
      'api',
    );

    await expect
      .poll(
        async () =>
          (await domain.search.tickets(agent.ctx, { q: 'router', sort: 'relevance', page: 1, hitsPerPage: 20, facets: ['priority'] }))
            .facets.priority,
        {
          timeout: 20_000,
        },
      )
      .toEqual(expect.arrayContaining([{ value: 'urgent', count: 1 }]));

    const { page, problems } = await openPage(stack);
    await signIn(page, stack, tenant.slug, `ann@${tenant.slug}.test`, PASSWORD);

    // Instant results as the agent types, a typo included.
    await page.locator('#global-search').pressSequentially('rooter', { delay: 30 });
    const hits = page.getByTestId('search-hit');
    await expect.poll(() => hits.count(), { timeout: 10_000 }).toBe(2);
    expect(await page.getByTestId('search-results').textContent()).not.toContain('other tenant');
    expect((await hits.locator('mark').allTextContents()).map((t) => t.toLowerCase())).toContain('router');
    await page.screenshot({ path: path.join(ARTIFACTS, 'search-dropdown.png') });

    // Enter opens the search page with facets; ticking "urgent" leaves the urgent ticket.
    await page.locator('#global-search').press('Enter');
    await page.waitForURL(/\/app\/search\?q=rooter/);
    const results = page.getByTestId('ticket-hits').locator('li');
    await expect.poll(() => results.count(), { timeout: 10_000 }).toBe(2);
    await page.locator('input[data-facet="priority"][data-value="urgent"]').check();
    await expect.poll(() => results.count(), { timeout: 10_000 }).toBe(1);
    expect(await results.first().textContent()).toContain('firmware update failed');
    await page.waitForURL(/priority=urgent/);
    await page.screenshot({ path: path.join(ARTIFACTS, 'search-page.png'), fullPage: true });

    // Opening a hit goes to the ticket.
    await results.first().locator('a').first().click();
    await page.waitForURL(`${stack.url}/app/tickets/${urgent.ticket.id}`);
    expect(problems.errors).toEqual([]);
  });
});
