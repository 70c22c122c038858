/**
 * SLA timer lateness: tickets under a one-minute first-response target (warning at 50 %),
 * created through the domain over a few seconds, so their warning and breach timers fall
 * due spread over time. The real path runs: events → listener → refresh job → delayed
 * bull timer → the timer handler. Lateness is when the handler started minus the due
 * instant; the SLA figures themselves never depend on it (they come from timestamps).
 *
 * Run: `npm run bench:sla` (optional: `-- --tickets 100`).
 * Bounded: a fixed number of tickets and a time cap for the timers; loopback services
 * provisioned like `npm test` and stopped at the end. Writes tests/bench/results/sla-timers.json and .md.
 */
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { connectMongo } from '@switchboard/api/db/connection';
import { createDomain } from '@switchboard/api/domain';
import { InProcessPublisher } from '@switchboard/api/events/publisher';
import { createLogger } from '@switchboard/api/lib/logger';
import { provision } from '@switchboard/infra/provision';
import { jobListener } from '@switchboard/workers/listeners';
import { QueueRegistry } from '@switchboard/workers/queues/registry';
import { slaTimerJob } from '@switchboard/workers/sla/sla.jobs';
import { startSla } from '@switchboard/workers/sla/sla.processor';
import { Redis } from 'ioredis';

const index = process.argv.indexOf('--tickets');
const TICKETS = index > 0 ? Number(process.argv[index + 1]) : 100;
const SPREAD_MS = 20_000;
const CREATORS = 6;
const CAP_MS = 150_000;
const BUDGET_P99_MS = 50;
const resultsDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../results');

const quantile = (values: number[], q: number) =>
  [...values].sort((a, b) => a - b)[Math.min(values.length - 1, Math.floor(q * values.length))] ?? Number.NaN;

async function main(): Promise<void> {
  const services = await provision({ profile: 'test', log: (line) => console.log(`[provision] ${line}`) });
  const logger = createLogger({ level: 'warn', name: 'sla-bench' });
  const connection = await connectMongo(`${services.mongoBaseUri}/slabench`);
  const redis = new Redis(services.redisUrl, { maxRetriesPerRequest: null });
  const registry = new QueueRegistry(services.redisUrl, `slabench${process.pid}`, logger);
  try {
    const publisher = new InProcessPublisher((error) => logger.warn({ err: error }, 'listener failed'));
    publisher.subscribe(jobListener(registry));
    const domain = await createDomain({ connection, redis, publisher, logger, signupOpen: true, publicUrl: 'http://127.0.0.1:3000' });
    await startSla({ domain, registry, logger, sweepEveryMs: 60_000 });
    // When the queue released each timer (delayed → waiting): the job id ends with its due instant.
    const released = new Map<string, number>();
    registry.queue(slaTimerJob).on('waiting', (jobId: string | number) => {
      if (!released.has(String(jobId))) released.set(String(jobId), Date.now());
    });
    const { tenant, admin } = await domain.tenants.signUp({
      slug: `slabench-${Date.now()}`,
      name: 'SLA bench',
      timezone: 'UTC',
      admin: { name: 'Admin', email: 'admin@slabench.test', password: 'bench-password-1' },
    });
    const ctx = { tenantId: tenant._id, actor: { kind: 'user' as const, userId: admin._id, role: 'admin' as const, name: 'Admin' } };
    const calendar = await domain.sla.createCalendar(ctx, { name: 'Always', timeZone: 'UTC', hours: '24/7', holidays: [] });
    await domain.sla.createPolicy(ctx, {
      name: 'One minute',
      order: 1,
      active: true,
      conditions: { priorities: [], channels: [], organisationIds: [], categoryIds: [] },
      targetMinutes: { firstResponse: 1 },
      warningThresholdPercent: 50,
      pauseStatuses: ['pending', 'on_hold'],
      calendarId: calendar.id,
      escalations: [],
    });
    const customer = await domain.users.create(ctx, { email: 'c@slabench.test', name: 'Customer', role: 'customer' });
    const customerCtx = {
      tenantId: tenant._id,
      actor: { kind: 'user' as const, userId: customer._id, role: 'customer' as const, name: 'Customer' },
    };

    const started = Date.now();
    let next = 0;
    // A few creators side by side, each pacing itself, so the timers fall due spread over SPREAD_MS and more.
    await Promise.all(
      Array.from({ length: CREATORS }, async () => {
        for (let i = next++; i < TICKETS; i = next++) {
          const due = started + (i * SPREAD_MS) / TICKETS;
          if (due > Date.now()) await new Promise((r) => setTimeout(r, due - Date.now()));
          await domain.tickets.create(customerCtx, { subject: `Timer ${i}`, body: 'Tick tock', format: 'text' }, 'portal');
        }
      }),
    );
    console.log(`[bench] created ${TICKETS} tickets in ${((Date.now() - started) / 1000).toFixed(1)} s; waiting for ${TICKETS * 2} timers`);

    const queue = registry.queue(slaTimerJob);
    const deadline = Date.now() + CAP_MS;
    let done = 0;
    while (Date.now() < deadline) {
      done = (await queue.getJobCounts()).completed;
      if (done >= TICKETS * 2) break;
      await new Promise((r) => setTimeout(r, 1000));
    }
    const jobs = await queue.getCompleted(0, TICKETS * 4);
    const late = jobs.map((job) => (job.returnvalue as { lateMs: number }).lateMs);
    const releaseLate = [...released].map(([jobId, at]) => at - Number(jobId.split(':').at(-1)));
    const events = await domain.models.Event.find({ tenantId: tenant._id, type: 'ticket.sla_breached' }, { at: 1, data: 1 }).lean<
      Array<{ at: Date; data: { dueAt: string } }>
    >();
    const eventLate = events.map((e) => e.at.getTime() - Date.parse(e.data.dueAt));
    const breaches = await domain.models.Ticket.countDocuments({ tenantId: tenant._id, 'sla.state': 'breached' });
    const result = {
      at: new Date().toISOString(),
      machine: `${process.platform} ${process.arch}, ${os.cpus().length} cores, node ${process.version}, load average ${os
        .loadavg()
        .map((l) => l.toFixed(1))
        .join(' / ')}`,
      mongo: services.mongoKind,
      tickets: TICKETS,
      timersFired: late.length,
      releasedLateMs: {
        count: releaseLate.length,
        p50: quantile(releaseLate, 0.5),
        p95: quantile(releaseLate, 0.95),
        p99: quantile(releaseLate, 0.99),
        max: Math.max(...releaseLate),
      },
      handlerLateMs: { p50: quantile(late, 0.5), p95: quantile(late, 0.95), p99: quantile(late, 0.99), max: Math.max(...late) },
      breachEventLateMs: {
        count: eventLate.length,
        p50: quantile(eventLate, 0.5),
        p99: quantile(eventLate, 0.99),
        max: Math.max(...eventLate),
      },
      ticketsBreached: breaches,
      budgetP99Ms: BUDGET_P99_MS,
    };
    const rows = [
      ['tickets / timers fired', `${TICKETS} / ${late.length}`],
      ['MongoDB-compatible server', result.mongo],
      [
        'timer released by the queue − due instant, p50 / p95 / p99 / max',
        `${result.releasedLateMs.p50} / ${result.releasedLateMs.p95} / ${result.releasedLateMs.p99} / ${result.releasedLateMs.max} ms`,
      ],
      ['timer handler start − due instant, p50', `${result.handlerLateMs.p50} ms`],
      ['… p95', `${result.handlerLateMs.p95} ms`],
      ['… p99', `${result.handlerLateMs.p99} ms`],
      ['… max', `${result.handlerLateMs.max} ms`],
      [
        'breach event appended − due instant, p50 / p99 / max',
        `${result.breachEventLateMs.p50} / ${result.breachEventLateMs.p99} / ${result.breachEventLateMs.max} ms`,
      ],
      ['tickets marked breached', String(breaches)],
      [
        `budget: timers fire ≤ ${BUDGET_P99_MS} ms late at p99 (released by the queue)`,
        result.releasedLateMs.p99 <= BUDGET_P99_MS ? 'met' : 'NOT met',
      ],
      [`… and handlers start within it (free handler, database keeping up)`, result.handlerLateMs.p99 <= BUDGET_P99_MS ? 'yes' : 'no'],
    ];
    const table = ['| measure | value |', '| --- | --- |', ...rows.map(([k, v]) => `| ${k} | ${v} |`)].join('\n');
    console.log(`\n${table}\n`);
    await fs.mkdir(resultsDir, { recursive: true });
    await fs.writeFile(path.join(resultsDir, 'sla-timers.json'), `${JSON.stringify(result, null, 2)}\n`);
    await fs.writeFile(path.join(resultsDir, 'sla-timers.md'), `# SLA timer lateness (${result.at})\n\n${result.machine}\n\n${table}\n`);
  } finally {
    await registry.close();
    await connection.close();
    redis.disconnect();
    await services.stop();
  }
}

await main();
