/**
 * The embeddable chat widget in Chromium, on a plain third-party page served from another
 * port with the one-line embed: a live conversation with an agent in the console (both
 * directions, typing, read receipts, unread badge), the visitor going offline and back with
 * every message exactly once and in order on both sides, reloads keeping the conversation,
 * styles isolated both ways, offline hours, and refusals (disallowed site, forged identity,
 * wrong key) shown in the widget.
 */
import http from 'node:http';
import path from 'node:path';
import { freePort } from '@switchboard/infra/services/net';
import { identityHmac } from '@switchboard/api/widget/widget-token';
import { createTenant, type TenantFixture } from '@switchboard/realtime/testing/hub-fixtures';
import type { Locator, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ARTIFACTS, openPage, signIn, startStack, type Stack } from '../src/e2e-harness.ts';

const PASSWORD = 'fixture-password-1';
/** A 40×30 PNG, as a screenshot a visitor might send. */
const SCREENSHOT = Buffer.from(
  'iVBORw0KGgoAAAANSUhEUgAAACgAAAAeCAIAAADRv8uKAAAACXBIWXMAAAPoAAAD6AG1e1JrAAAAPElEQVR4nO3VoQ0AMAwDsPH8T/Nl+M7YgKXySlUanzVP5lhcp55wxTtVgUxlBhLFYrBYLA6LwWKxuK9YvDgIlQp+IYW3AAAAAElFTkSuQmCC',
  'base64',
);
const ALWAYS_OPEN = [1, 2, 3, 4, 5, 6, 7].map((weekday) => ({ weekday, intervals: [{ start: '00:00', end: '24:00' }] }));

let stack: Stack;
const sites: http.Server[] = [];

/**
 * A third-party site: every path serves one page with aggressive global styles (they must
 * not reach the widget) and the one-line embed built by `embed(path)`.
 */
async function startSite(embed: (pathname: string) => string): Promise<string> {
  const port = await freePort();
  const server = http.createServer((req, res) => {
    const pathname = new URL(req.url ?? '/', 'http://site').pathname;
    if (pathname === '/favicon.ico') return void res.writeHead(204).end();
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Acme Outdoor Shop</title>
<style>
  * { font-family: "Courier New", monospace !important; color: rgb(255, 0, 0) !important; }
  button, .send, .launcher { background: rgb(0, 255, 0) !important; border: 6px dashed black !important; }
  .panel, li, ol { display: none !important; }
  p { font-size: 40px; }
</style></head>
<body>
  <h1>Acme Outdoor Shop</h1>
  <p class="greeting" id="page-text">Tents, stoves and everything for the trail.</p>
  <button class="send" id="page-button" type="button">Add to cart</button>
  ${embed(pathname)}
</body></html>`);
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  sites.push(server);
  return `http://127.0.0.1:${port}`;
}

const escapeAttr = (value: string) => value.replace(/&/g, '&amp;').replace(/"/g, '&quot;');

async function setting(tenant: TenantFixture, patch: Parameters<Stack['domain']['domain']['tenants']['updateSettings']>[1]) {
  await stack.domain.domain.tenants.updateSettings(tenant.adminCtx, patch);
}

async function tenantDoc(tenant: TenantFixture) {
  return (await stack.domain.domain.models.Tenant.findOne({ slug: tenant.slug }).lean())!;
}

const widgetOf = (page: Page): Locator => page.locator('switchboard-chat');

/** A computed style property of an element (evaluated in the page; this package has no DOM types). */
function styleOf(locator: Locator, property: string): Promise<string> {
  type Window = { getComputedStyle(element: unknown): Record<string, string> };
  return locator.evaluate((element, name) => (globalThis as unknown as Window).getComputedStyle(element)[name]!, property);
}

/** Width of a loaded image (0 while it failed or has not loaded). */
function naturalWidth(locator: Locator): Promise<number> {
  return locator.evaluate((img) => (img as unknown as { naturalWidth: number }).naturalWidth);
}

async function texts(locator: Locator): Promise<string[]> {
  return (await locator.allTextContents()).map((t) => t.replace(/\s+/g, ' ').trim());
}

/** The visitor's conversation as shown: the text of each line, in order. */
async function visitorLines(page: Page): Promise<string[]> {
  return texts(widgetOf(page).locator('[data-testid="line"] .text'));
}

/** The agent's thread: customer messages and replies, in order. */
async function agentLines(page: Page): Promise<string[]> {
  const items = page.locator('[data-testid="thread"] li[data-kind="message"], [data-testid="thread"] li[data-kind="reply"]');
  return texts(items.locator('div.max-w-none'));
}

async function openWidget(page: Page): Promise<void> {
  await widgetOf(page).getByTestId('launcher').click();
  await widgetOf(page).getByTestId('panel').waitFor();
}

async function visitorSays(page: Page, text: string): Promise<void> {
  await widgetOf(page).getByTestId('composer').fill(text);
  await widgetOf(page).getByTestId('send').click();
}

async function agentReplies(page: Page, text: string): Promise<void> {
  await page.getByTestId('composer').fill(text);
  await page.getByTestId('send').click();
  const sent = page.locator('[data-testid="thread"] li[data-kind="reply"]', { hasText: text });
  // Automatic routing may change the ticket while the agent writes: the stale-reply guard then asks first.
  await expect
    .poll(
      async () => {
        if (await page.getByTestId('stale-reply').count())
          await page
            .getByRole('button', { name: 'Send anyway' })
            .click({ timeout: 2000 })
            .catch(() => undefined);
        return sent.count();
      },
      { timeout: 10_000 },
    )
    .toBe(1);
}

beforeAll(async () => {
  stack = await startStack('e2ewidget');
});
afterAll(async () => {
  for (const site of sites) await new Promise((resolve) => site.close(resolve));
  await stack?.close();
});

describe('chat widget on a third-party page', () => {
  it(
    'chats live with an agent, survives going offline and a reload, and shows every message once, in order, on both sides',
    { timeout: 120_000 },
    async () => {
      const tenant = await createTenant(stack.domain.domain, 'e2e-widget');
      const { widgetKey } = await tenantDoc(tenant);
      const site = await startSite(() => `<script src="${stack.url}/widget.js" data-key="${escapeAttr(widgetKey)}" async></script>`);
      await setting(tenant, {
        businessHours: ALWAYS_OPEN,
        widgetAllowedOrigins: [site],
        widgetGreeting: 'Hi! Ask us anything about your order.',
        widgetPrimaryColor: '#0f766e',
      });

      const agent = await openPage(stack);
      await signIn(agent.page, stack, tenant.slug, `ann@${tenant.slug}.test`, PASSWORD);
      await agent.page.goto(`${stack.url}/app?view=open`);
      await agent.page.getByTestId('queue').waitFor();

      const visitor = await openPage(stack, { viewport: { width: 1280, height: 800 } });
      await visitor.page.goto(`${site}/products/tent`);
      await openWidget(visitor.page);
      const widget = widgetOf(visitor.page);
      await expect.poll(() => widget.getByTestId('headline').textContent(), { timeout: 10_000 }).toContain('We’re online');
      expect(await widget.locator('.greeting').textContent()).toBe('Hi! Ask us anything about your order.');

      // Styles stay apart both ways: the page's rules do not reach into the widget, and the widget's do not leak out.
      const launcherStyle = await styleOf(widget.getByTestId('launcher'), 'backgroundColor');
      expect(launcherStyle).toBe('rgb(15, 118, 110)');
      expect(await styleOf(widget.getByTestId('composer'), 'fontFamily')).not.toContain('Courier');
      expect(await styleOf(widget.getByTestId('composer'), 'color')).not.toBe('rgb(255, 0, 0)');
      expect(await styleOf(visitor.page.locator('#page-button'), 'backgroundColor')).toBe('rgb(0, 255, 0)');
      expect(await styleOf(visitor.page.locator('#page-text'), 'fontSize')).toBe('40px');

      // Visitor → agent: the first message opens a ticket that appears in the agent's queue by itself.
      await visitorSays(visitor.page, 'Hello, my tent order #4411 has not arrived yet.');
      await expect
        .poll(() => stack.domain.domain.models.Ticket.countDocuments({ tenantId: tenant.adminCtx.tenantId, channel: 'widget' }), {
          timeout: 10_000,
        })
        .toBe(1);
      const ticket = (await stack.domain.domain.models.Ticket.findOne({ tenantId: tenant.adminCtx.tenantId, channel: 'widget' }).lean())!;
      const ticketId = ticket._id.toHexString();
      await agent.page.locator(`[data-testid="queue"] tr[data-ticket="${ticketId}"]`).waitFor({ timeout: 10_000 });
      await agent.page.goto(`${stack.url}/app/tickets/${ticketId}`);
      await agent.page.locator('[data-testid="thread"] li[data-kind="message"]', { hasText: 'order #4411' }).waitFor();
      // Ann takes it, so automatic routing leaves it alone while she writes.
      await agent.page.getByTestId('field-assignee').selectOption(tenant.agents[0]!.id);
      await expect
        .poll(async () =>
          (
            await stack.domain.domain.models.Ticket.findOne({ tenantId: tenant.adminCtx.tenantId, _id: ticket._id }).lean()
          )?.assigneeId?.toHexString(),
        )
        .toBe(tenant.agents[0]!.id);

      // Agent → visitor: typing shows in the widget, then the reply arrives live.
      await agent.page.getByTestId('composer').pressSequentially('Sorry about that!', { delay: 5 });
      await widget.getByTestId('typing').waitFor({ timeout: 5000 });
      expect(await widget.getByTestId('typing').textContent()).toContain('Ann e2e-widget is typing');
      await agent.page.getByTestId('composer').fill('');
      await agentReplies(agent.page, 'Sorry about that! Let me look up order #4411.');
      await widget.locator('[data-testid="line"][data-kind="reply"]', { hasText: 'look up order #4411' }).waitFor({ timeout: 5000 });
      // Read receipts: the agent has the conversation on screen, so the visitor's message shows "Seen"; and back.
      await expect
        .poll(() => widget.locator('[data-kind="message"] [data-testid="line-state"]').last().textContent(), { timeout: 5000 })
        .toBe('Seen');
      await agent.page.getByTestId('seen-by-customer').waitFor({ timeout: 5000 });

      // The visitor's network drops mid-conversation: messages typed now wait, the agent's reply is kept by the log.
      visitor.expectOffline();
      await visitor.context.setOffline(true);
      await widget.getByTestId('connection-banner').waitFor({ timeout: 10_000 });
      await agentReplies(agent.page, 'It left our warehouse yesterday; tracking follows.');
      await visitorSays(visitor.page, 'Are you still there?');
      await visitorSays(visitor.page, 'My connection is flaky, sorry.');
      await expect
        .poll(async () => texts(widget.locator('[data-testid="line"][data-state="queued"] .text')), { timeout: 5000 })
        .toEqual(['Are you still there?', 'My connection is flaky, sorry.']);
      await visitor.page.screenshot({ path: path.join(ARTIFACTS, 'widget-offline.png') });

      await visitor.context.setOffline(false);
      await widget.getByTestId('connection-banner').waitFor({ state: 'detached', timeout: 20_000 });
      const expected = [
        'Hello, my tent order #4411 has not arrived yet.',
        'Sorry about that! Let me look up order #4411.',
        'It left our warehouse yesterday; tracking follows.',
        'Are you still there?',
        'My connection is flaky, sorry.',
      ];
      await expect.poll(() => visitorLines(visitor.page), { timeout: 15_000 }).toEqual(expected);
      await expect.poll(() => agentLines(agent.page), { timeout: 15_000 }).toEqual(expected);
      // Every line ends confirmed. The ack of the last message may trail its live echo by a
      // few milliseconds (the server acks once the event's jobs are queued), so wait for it.
      await expect.poll(() => widget.locator('[data-testid="line"]:not([data-state="sent"])').count(), { timeout: 5000 }).toBe(0);

      // Stored exactly once each, in this order (the event log's order is the conversation's).
      const logged = await stack.domain.domain.models.Event.find({
        tenantId: tenant.adminCtx.tenantId,
        ticketId: ticket._id,
        type: 'entry.added',
      })
        .sort({ seq: 1 })
        .lean();
      const stored = logged
        .map((e) => (e.data as { entry: { kind: string; bodyText: string } }).entry)
        .filter((e) => e.kind === 'message' || e.kind === 'reply');
      expect(stored.map((e) => e.bodyText)).toEqual(expected);
      expect(
        await stack.domain.domain.models.Entry.countDocuments({
          tenantId: tenant.adminCtx.tenantId,
          ticketId: ticket._id,
          kind: { $in: ['message', 'reply'] },
        }),
      ).toBe(expected.length);

      // Unread badge: with the panel closed, a new reply is counted on the launcher; opening clears it.
      await widget.getByTestId('launcher').click();
      await agentReplies(agent.page, 'Tracking number: 1Z999AA10123456784.');
      await expect.poll(() => widget.getByTestId('unread').textContent(), { timeout: 5000 }).toBe('1');
      await visitor.page.screenshot({ path: path.join(ARTIFACTS, 'widget-unread.png') });
      await openWidget(visitor.page);
      await widget.getByTestId('unread').waitFor({ state: 'detached' });

      // A reload (or a second tab) is the same visitor: the whole conversation comes back, once.
      await visitor.page.reload();
      await openWidget(visitor.page);
      await expect
        .poll(() => visitorLines(visitor.page), { timeout: 10_000 })
        .toEqual([...expected, 'Tracking number: 1Z999AA10123456784.']);

      // Images: a screenshot goes through as a thumbnail on both sides; a PDF dressed up as an image is refused, nothing stored.
      await widget.getByTestId('attach').setInputFiles({ name: 'screenshot.png', mimeType: 'image/png', buffer: SCREENSHOT });
      const thumbnail = widget.locator('[data-testid="line"][data-state="sent"] img.thumb');
      await thumbnail.waitFor({ timeout: 10_000 });
      await expect.poll(() => naturalWidth(thumbnail), { timeout: 10_000 }).toBeGreaterThan(0);
      await agent.page.locator('[data-testid="thread"] li[data-kind="message"]', { hasText: 'screenshot' }).waitFor({ timeout: 10_000 });
      const withImage = await stack.domain.domain.models.Entry.findOne({
        tenantId: tenant.adminCtx.tenantId,
        ticketId: ticket._id,
        'attachments.0': { $exists: true },
      }).lean();
      expect(withImage?.attachments.map((a) => a.contentType)).toEqual(['image/png']);
      const entriesBefore = await stack.domain.domain.models.Entry.countDocuments({ tenantId: tenant.adminCtx.tenantId });
      await widget
        .getByTestId('attach')
        .setInputFiles({ name: 'invoice.png', mimeType: 'image/png', buffer: Buffer.from('%PDF-1.4\n%%EOF\n') });
      const refused = widget.locator('[data-testid="line"][data-state="failed"]');
      await refused.waitFor({ timeout: 10_000 });
      expect(await refused.textContent()).toContain('Only images');
      expect(await stack.domain.domain.models.Entry.countDocuments({ tenantId: tenant.adminCtx.tenantId })).toBe(entriesBefore);
      await visitor.page.screenshot({ path: path.join(ARTIFACTS, 'widget-chat.png') });
      await agent.page.screenshot({ path: path.join(ARTIFACTS, 'widget-agent.png'), fullPage: true });

      // A 409 is the console's stale-reply guard asking before a reply (routing may assign meanwhile); nothing else may fail.
      expect(agent.problems.errors.filter((e) => !e.includes('409'))).toEqual([]);
      // While offline, the browser logs its failed reconnection attempts; nothing else may go wrong.
      // The refused upload is a 415 the widget shows; nothing else may go wrong.
      expect(visitor.problems.errors.filter((e) => !/ERR_INTERNET_DISCONNECTED|socket\.io|\b415\b/.test(e))).toEqual([]);
      await agent.context.close();
      await visitor.context.close();
    },
  );

  it('outside business hours says so, asks an anonymous visitor for an email and files the message as a ticket', async () => {
    const tenant = await createTenant(stack.domain.domain, 'e2e-widget-away');
    const { widgetKey } = await tenantDoc(tenant);
    const site = await startSite(() => `<script src="${stack.url}/widget.js" data-key="${escapeAttr(widgetKey)}" async></script>`);
    // Open one minute a week, never now: the widget is in offline mode whoever is online.
    const now = new Date();
    const weekday = ((now.getUTCDay() + 3) % 7) + 1;
    await setting(tenant, { timezone: 'UTC', businessHours: [{ weekday, intervals: [{ start: '10:00', end: '10:01' }] }] });

    const visitor = await openPage(stack);
    await visitor.page.goto(`${site}/contact`);
    await openWidget(visitor.page);
    const widget = widgetOf(visitor.page);
    await widget.getByTestId('away-banner').waitFor({ timeout: 10_000 });
    expect(await widget.getByTestId('away-banner').textContent()).toContain('we’re back');
    await widget.getByTestId('email').fill('hiker@example.org');
    await visitorSays(visitor.page, 'Do you ship stoves to Norway?');
    await widget.locator('[data-testid="line"][data-state="sent"]', { hasText: 'Norway' }).waitFor({ timeout: 10_000 });
    await visitor.page.screenshot({ path: path.join(ARTIFACTS, 'widget-away.png') });

    const ticket = (await stack.domain.domain.models.Ticket.findOne({ tenantId: tenant.adminCtx.tenantId, channel: 'widget' }).lean())!;
    const entries = await stack.domain.domain.models.Entry.find({ tenantId: tenant.adminCtx.tenantId, ticketId: ticket._id })
      .sort({ _id: 1 })
      .lean();
    expect(entries.map((e) => e.kind)).toEqual(['message', 'note']);
    expect(entries[1]!.bodyText).toContain('hiker@example.org');
    expect(visitor.problems.errors).toEqual([]);
    await visitor.context.close();
  });

  it('refuses a site that is not allowed, a forged identity and a wrong key, with a clear message in the widget', async () => {
    const tenant = await createTenant(stack.domain.domain, 'e2e-widget-refusals');
    const { widgetKey, widgetSecret } = await tenantDoc(tenant);
    const email = `cust@${tenant.slug}.test`;
    const pages: Record<string, string> = {
      '/forged': `<script src="${stack.url}/widget.js" data-key="${widgetKey}" data-user-email="${email}" data-user-hmac="${identityHmac('a-guessed-secret', email)}" async></script>`,
      '/verified': `<script src="${stack.url}/widget.js" data-key="${widgetKey}" data-user-email="${email}" data-user-name="Cust" data-user-hmac="${identityHmac(widgetSecret, email)}" async></script>`,
      '/wrong-key': `<script src="${stack.url}/widget.js" data-key="wk_not-a-real-key" async></script>`,
    };
    const allowed = await startSite(
      (pathname) => pages[pathname] ?? `<script src="${stack.url}/widget.js" data-key="${widgetKey}" async></script>`,
    );
    const elsewhere = await startSite(() => `<script src="${stack.url}/widget.js" data-key="${widgetKey}" async></script>`);
    await setting(tenant, { businessHours: ALWAYS_OPEN, widgetAllowedOrigins: [allowed], widgetRequireVerifiedIdentity: true });
    const before = await stack.domain.domain.models.User.countDocuments({ tenantId: tenant.adminCtx.tenantId });

    const visitor = await openPage(stack);
    const refusalOn = async (url: string) => {
      await visitor.page.goto(url);
      await openWidget(visitor.page);
      const refusal = widgetOf(visitor.page).getByTestId('refusal');
      await refusal.waitFor({ timeout: 10_000 });
      return refusal.textContent();
    };
    expect(await refusalOn(`${elsewhere}/`)).toContain(`This website (${elsewhere}) is not allowed`);
    await visitor.page.screenshot({ path: path.join(ARTIFACTS, 'widget-refused-origin.png') });
    expect(await refusalOn(`${allowed}/forged`)).toContain('could not be verified');
    expect(await refusalOn(`${allowed}/wrong-key`)).toContain('Unknown widget key');
    expect(await stack.domain.domain.models.User.countDocuments({ tenantId: tenant.adminCtx.tenantId })).toBe(before);

    // The tenant only answers verified visitors: an anonymous one is told and gets no composer (the hub refuses such messages anyway), a verified one chats.
    await visitor.page.goto(`${allowed}/anonymous`);
    await openWidget(visitor.page);
    await widgetOf(visitor.page).getByTestId('identity-required').waitFor({ timeout: 10_000 });
    expect(await widgetOf(visitor.page).getByTestId('composer').count()).toBe(0);

    await visitor.page.goto(`${allowed}/verified`);
    await openWidget(visitor.page);
    await visitorSays(visitor.page, 'Verified hello');
    await widgetOf(visitor.page)
      .locator('[data-testid="line"][data-state="sent"]', { hasText: 'Verified hello' })
      .waitFor({ timeout: 10_000 });
    const ticket = await stack.domain.domain.models.Ticket.findOne({ tenantId: tenant.adminCtx.tenantId, channel: 'widget' }).lean();
    expect(ticket?.requesterId.toHexString()).toBe(tenant.customer.id);

    // The refusals are 403/404 answers the page shows; nothing else went wrong.
    expect(visitor.problems.errors.filter((e) => !/\b(403|404)\b/.test(e))).toEqual([]);
    await visitor.context.close();
  });
});
