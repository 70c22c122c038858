import { createTenant } from '@switchboard/realtime/testing/hub-fixtures';
import { slaCalendarBodySchema, slaPolicyBodySchema } from '@switchboard/api/sla/sla-config.schema';
import { connectDomain, startCluster } from '../src/cluster.ts';
import { restClient, readLog } from './chaos-clients.ts';
const cluster = await startCluster({ hubs: 1, workers: 1, dataDir: '/tmp/dbg/c1', log: console.log, env: { SLA_SWEEP_MS: '2000', ROUTING_SWEEP_MS: '2000' } });
try {
  const data = await connectDomain(cluster);
  const t = await createTenant(data.domain, 'dbg');
  const admin = t.adminCtx;
  for (const [name, description] of [['Billing', 'Invoices, payments'], ['Technical', 'Bugs, errors']] as const) await data.domain.categories.create(admin, { name, description, teamId: null, skill: null, active: true });
  const calendar = await data.domain.sla.createCalendar(admin, slaCalendarBodySchema.parse({ name: 'Always', timeZone: 'UTC', hours: '24/7' }));
  await data.domain.sla.createPolicy(admin, slaPolicyBodySchema.parse({ name: 'Fast', order: 1, calendarId: calendar.id, targetMinutes: { firstResponse: 1 }, warningThresholdPercent: 10 }));
  const rest = restClient(cluster.url, t.customer.cookie);
  for (let i = 0; i < 3; i++) console.log((await rest('POST', '/tickets', { subject: 'x' + i, body: 'charged twice', format: 'text' })).status);
  await new Promise((r) => setTimeout(r, 15000));
  const staff = restClient(cluster.url, t.agents[0]!.cookie);
  console.log((await readLog(staff, 0)).events.map((e) => e.type).join(' '));
  const q = data.registry.queue((await import('@switchboard/workers/triage/triage.jobs')).classifyJob);
  console.log(await q.getJobCounts(), (await q.getFailed()).map((j) => j.failedReason));
  await data.close();
} finally {
  await cluster.stop();
}
