import { createHttpServer, type HttpServer } from '@switchboard/api/http/server';
import { oid } from '@switchboard/api/lib/ids';
import { createLogger } from '@switchboard/api/lib/logger';
import type { OutboundMail } from '@switchboard/api/mail/mail.model';
import type { User } from '@switchboard/api/users/user.model';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { enqueueSend } from '../mail/mail.processor.ts';
import { mailSendJob } from '../mail/mail.jobs.ts';
import { JOB_CATALOGUE } from '../queues/catalogue.ts';
import { eventually, startChannelsHarness, type ChannelsHarness, type TestTenant } from '../testing/channels-harness.ts';
import { QUEUE_DASHBOARD_PATH, registerQueueDashboard } from './queue-dashboard.ts';

describe('without an SMTP server, and the queue dashboard that shows it', () => {
  let h: ChannelsHarness;
  let app: HttpServer;
  let ops: TestTenant;
  let other: TestTenant;
  let tokens: { opsAdmin: string; opsAgent: string; otherAdmin: string; readOnly: string };
  let failedMail: OutboundMail;

  const get = (url: string, bearer?: string) =>
    app.inject({ method: 'GET', url, headers: bearer ? { authorization: `Bearer ${bearer}` } : {} });
  const token = async (desk: TestTenant, user: User, scopes: Array<'read' | 'write'> = ['read', 'write']) =>
    (await h.domain.auth.createApiToken(desk.as(user), { name: 'dashboard', scopes })).token;

  beforeAll(async () => {
    h = await startChannelsHarness({ label: 'dashboard', noSmtp: true });
    [ops, other] = await Promise.all([h.tenant('ops'), h.tenant('other')]);
    const agent = await ops.person('agent', 'Ops Agent');
    tokens = {
      opsAdmin: await token(ops, ops.admin),
      opsAgent: await token(ops, agent),
      otherAdmin: await token(other, other.admin),
      readOnly: await token(ops, ops.admin, ['read']),
    };
    app = createHttpServer({ logger: createLogger({ level: 'silent' }), bodyLimit: 1024 * 1024 });
    await registerQueueDashboard(app, { domain: h.domain, registry: h.registry, tenantSlugs: [ops.tenant.slug], allowedHosts: [] });
    await app.ready();

    // A notification mail with nowhere to go.
    const customer = await other.person('customer', 'Waiting Customer');
    const { ticket } = await h.domain.tickets.create(other.as(customer), { subject: 'Hello?', body: 'x', format: 'text' }, 'portal');
    const agentOther = await other.person('agent', 'Other Agent');
    await h.domain.conversation.add(other.as(agentOther), oid(ticket.id), {
      kind: 'reply',
      body: 'Here we are',
      format: 'text',
    });
    failedMail = await eventually(async () => {
      const mail = await h.domain.models.OutboundMail.findOne({ tenantId: other.tenant._id, to: customer.email }).lean<OutboundMail>();
      return mail?.status === 'failed' ? mail : undefined;
    });
  });
  afterAll(async () => {
    await app?.close();
    await h?.close();
  });

  it('keeps the mail in the outbox and fails its job at once with a reason that says what to do', async () => {
    expect(failedMail.lastError).toMatch(/^SMTP_URL is not set/);
    expect(failedMail.attempts).toBe(1);
    const letters = await h.registry.deadLetters(JOB_CATALOGUE);
    expect(letters).toContainEqual(
      expect.objectContaining({
        queue: 'mail-send',
        jobId: `mail:${failedMail._id.toHexString()}`,
        attemptsMade: 1,
        failedReason: expect.stringMatching(/^SMTP_URL is not set/),
      }),
    );
  });

  it('lets only admins of the operators’ tenants in', async () => {
    const anonymous = await get(QUEUE_DASHBOARD_PATH);
    expect(anonymous.statusCode).toBe(401);
    expect(anonymous.json()).toMatchObject({ error: { code: 'unauthenticated' } });
    expect((await get(QUEUE_DASHBOARD_PATH, tokens.otherAdmin)).json()).toMatchObject({ error: { code: 'forbidden' } });
    expect((await get(`${QUEUE_DASHBOARD_PATH}/api/queues`, tokens.opsAgent)).statusCode).toBe(403);
    expect((await get(`${QUEUE_DASHBOARD_PATH}/api/queues`, 'sbp_not-a-token')).statusCode).toBe(401);

    const page = await get(QUEUE_DASHBOARD_PATH, tokens.opsAdmin);
    expect(page.statusCode).toBe(200);
    expect(page.headers['content-type']).toMatch(/^text\/html/);
    expect(page.body).toContain('Switchboard queues');
  });

  it('shows every queue of the catalogue and the failed mail among the dead letters', async () => {
    const response = await get(
      `${QUEUE_DASHBOARD_PATH}/api/queues?activeQueue=mail-send&status=failed&page=1&jobsPerPage=50`,
      tokens.opsAdmin,
    );
    expect(response.statusCode, response.body).toBe(200);
    const body = response.json() as { queues: Array<{ name: string; jobs: Array<{ id: string; failedReason: string }> }> };
    expect(body.queues.map((q) => q.name).sort()).toEqual(JOB_CATALOGUE.map((d) => d.name).sort());
    const mailQueue = body.queues.find((q) => q.name === mailSendJob.name)!;
    expect(mailQueue.jobs).toContainEqual(
      expect.objectContaining({ id: `mail:${failedMail._id.toHexString()}`, failedReason: expect.stringMatching(/^SMTP_URL is not set/) }),
    );
  });

  it('refuses changes from read-only tokens; an admin token may retry', async () => {
    const url = `${QUEUE_DASHBOARD_PATH}/api/queues/${mailSendJob.name}/retry/failed`;
    expect((await app.inject({ method: 'PUT', url, headers: { authorization: `Bearer ${tokens.readOnly}` } })).statusCode).toBe(403);
    const retried = await app.inject({ method: 'PUT', url, headers: { authorization: `Bearer ${tokens.opsAdmin}` } });
    expect(retried.statusCode, retried.body).toBe(200);
    // Still no SMTP server: the retried job fails again, and says why.
    await eventually(async () => {
      const mail = await h.domain.models.OutboundMail.findOne({ tenantId: other.tenant._id, _id: failedMail._id }).lean<OutboundMail>();
      return mail && mail.attempts >= 2 && mail.status === 'failed' ? mail : undefined;
    });
    await enqueueSend(h.registry, other.tenant._id.toHexString(), failedMail._id.toHexString());
    expect((await h.registry.deadLetters([mailSendJob])).filter((l) => l.jobId === `mail:${failedMail._id.toHexString()}`)).toHaveLength(1);
  });
});
