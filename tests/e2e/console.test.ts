/**
 * The agent console in Chromium: two agents collaborating live on one ticket, the queue
 * moving by itself, and recovery after the hub dies. Each test gets its own tenant.
 */
import path from 'node:path';
import { oid } from '@switchboard/api/lib/ids';
import { createTenant, type TenantFixture } from '@switchboard/realtime/testing/hub-fixtures';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ARTIFACTS, openPage, signIn, startStack, type Stack } from '../src/e2e-harness.ts';

const PASSWORD = 'fixture-password-1';
let stack: Stack;

beforeAll(async () => {
  stack = await startStack('e2econsole');
});
afterAll(() => stack?.close());

async function twoAgents(tenant: TenantFixture) {
  const a = await openPage(stack);
  const b = await openPage(stack);
  await signIn(a.page, stack, tenant.slug, `ann@${tenant.slug}.test`, PASSWORD);
  await signIn(b.page, stack, tenant.slug, `ben@${tenant.slug}.test`, PASSWORD);
  return { a, b };
}

const rowOf = (page: Page, ticketId: string) => page.locator(`[data-testid="queue"] tr[data-ticket="${ticketId}"]`);

describe('agent console, live', () => {
  it('two agents see each other, typing, replies and status changes without reloading', async () => {
    const tenant = await createTenant(stack.domain.domain, 'e2e-live');
    const { a, b } = await twoAgents(tenant);

    // A ticket created through the API appears in both queues ("All open") live.
    await Promise.all([a.page.goto(`${stack.url}/app?view=open`), b.page.goto(`${stack.url}/app?view=open`)]);
    await Promise.all([a.page.getByTestId('queue').waitFor(), b.page.getByTestId('queue').waitFor()]);
    const { ticket } = await stack.domain.domain.tickets.create(
      tenant.customer.ctx,
      { subject: 'Projector shows only blue', body: 'Since this morning the meeting room projector is blue.', format: 'text' },
      'portal',
    );
    await expect.poll(() => rowOf(a.page, ticket.id).count(), { timeout: 5000 }).toBe(1);
    await expect.poll(() => rowOf(b.page, ticket.id).count(), { timeout: 5000 }).toBe(1);
    await a.page.screenshot({ path: path.join(ARTIFACTS, 'queue.png'), fullPage: true });

    // Both open it: each sees the other's avatar.
    await a.page.goto(`${stack.url}/app/tickets/${ticket.id}`);
    await b.page.goto(`${stack.url}/app/tickets/${ticket.id}`);
    await expect.poll(() => a.page.locator('[data-testid="viewer"][data-name="Ben e2e-live"]').count(), { timeout: 5000 }).toBe(1);
    await expect.poll(() => b.page.locator('[data-testid="viewer"][data-name="Ann e2e-live"]').count(), { timeout: 5000 }).toBe(1);

    // A types a reply: B sees "Ann is replying".
    await a.page.getByTestId('composer').pressSequentially('Hello! Could you try another HDMI cable?', { delay: 5 });
    await expect
      .poll(
        async () =>
          // innerText: what a person reads, with the markup's line breaks collapsed.
          (
            await b.page
              .getByTestId('collision')
              .innerText({ timeout: 500 })
              .catch(() => '')
          ).replace(/\s+/g, ' '),
        { timeout: 3000 },
      )
      .toContain('Ann e2e-live is replying');

    // A sends: B sees the reply within one second, without reload.
    const sentAt = Date.now();
    await a.page.getByTestId('send').click();
    await b.page.locator('[data-testid="thread"] li[data-kind="reply"]', { hasText: 'another HDMI cable' }).waitFor({ timeout: 1000 });
    expect(Date.now() - sentAt).toBeLessThan(1000);
    // Once A's reply is there, A is no longer shown as replying.
    await b.page.getByTestId('collision').waitFor({ state: 'detached', timeout: 5000 });
    await b.page.screenshot({ path: path.join(ARTIFACTS, 'ticket.png'), fullPage: true });

    // B goes back to the "All open" queue; A sets the ticket to pending: it leaves B's view.
    await b.page.goto(`${stack.url}/app?view=open`);
    await expect.poll(() => rowOf(b.page, ticket.id).count(), { timeout: 5000 }).toBe(1);
    await a.page.getByTestId('field-status').selectOption('pending');
    await expect.poll(() => rowOf(b.page, ticket.id).count(), { timeout: 5000 }).toBe(0);
    await b.page.goto(`${stack.url}/app?view=pending`);
    await expect.poll(() => rowOf(b.page, ticket.id).count(), { timeout: 5000 }).toBe(1);

    expect(a.problems.errors).toEqual([]);
    expect(b.problems.errors).toEqual([]);
    await a.context.close();
    await b.context.close();
  });

  it('warns before sending a reply to a ticket that changed meanwhile (stale-reply guard)', async () => {
    const tenant = await createTenant(stack.domain.domain, 'e2e-stale');
    const { a, b } = await twoAgents(tenant);
    await a.page.goto(`${stack.url}/app/tickets/${tenant.ticketId}`);
    await a.page.getByTestId('composer').pressSequentially('We are looking into it.', { delay: 5 });
    await stack.domain.domain.conversation.add(tenant.customer.ctx, oid(tenant.ticketId), {
      kind: 'message',
      body: 'Never mind, it works again!',
      format: 'text',
    });
    await a.page.locator('[data-testid="thread"] li[data-kind="message"]', { hasText: 'works again' }).waitFor({ timeout: 3000 });
    await a.page.getByTestId('send').click();
    await a.page.getByTestId('stale-reply').waitFor({ timeout: 3000 });
    expect(await a.page.getByTestId('stale-reply').textContent()).toContain('works again');
    await a.page.getByRole('button', { name: 'Send anyway' }).click();
    await a.page.locator('[data-testid="thread"] li[data-kind="reply"]', { hasText: 'looking into it' }).waitFor({ timeout: 3000 });
    // The refused first send is the guard working: its 409 is expected, nothing else is.
    expect(a.problems.errors.filter((e) => !e.includes('409'))).toEqual([]);
    await a.context.close();
    await b.context.close();
  });

  it('shows an offline banner when the hub dies and resyncs without reload when it is back', async () => {
    const tenant = await createTenant(stack.domain.domain, 'e2e-chaos');
    const a = await openPage(stack);
    await signIn(a.page, stack, tenant.slug, `ann@${tenant.slug}.test`, PASSWORD);
    await a.page.goto(`${stack.url}/app?view=open`);
    await a.page.getByTestId('queue').waitFor();
    // A marker in the page proves later that it never reloaded.
    await a.page.evaluate(() => ((globalThis as unknown as { marker: number }).marker = 42));

    a.expectOffline();
    await stack.hub.kill();
    await a.page.getByTestId('offline-banner').waitFor({ timeout: 10_000 });
    // Work goes on while the hub is down: the event log records it.
    const { ticket } = await stack.domain.domain.tickets.create(
      tenant.customer.ctx,
      { subject: 'Created while the hub was down', body: 'Hello?', format: 'text' },
      'portal',
    );
    await stack.restartHub();
    await a.page.getByTestId('offline-banner').waitFor({ state: 'detached', timeout: 15_000 });
    await expect.poll(() => rowOf(a.page, ticket.id).count(), { timeout: 10_000 }).toBe(1);
    expect(await a.page.evaluate(() => (globalThis as unknown as { marker?: number }).marker)).toBe(42);
    expect(a.problems.errors).toEqual([]);
    await a.context.close();
  });
});
