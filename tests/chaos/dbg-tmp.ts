import { createTenant } from '@switchboard/realtime/testing/hub-fixtures';
import { connectDomain, startCluster } from '../src/cluster.ts';
import { restClient, readLog } from './chaos-clients.ts';
const cluster = await startCluster({ hubs: 1, workers: 1, dataDir: '/tmp/dbg/c1', log: console.log });
try {
  const data = await connectDomain(cluster);
  const t = await createTenant(data.domain, 'dbg');
  const rest = restClient(cluster.url, t.customer.cookie);
  for (let i = 0; i < 3; i++) console.log((await rest('POST', '/tickets', { subject: 'x' + i, body: 'charged twice', format: 'text' })).status);
  await new Promise((r) => setTimeout(r, 15000));
  const staff = restClient(cluster.url, t.agents[0]!.cookie);
  console.log((await readLog(staff, 0)).events.map((e) => e.type).join(' '));
  const q = data.registry.queue((await import('@switchboard/workers/triage/triage.jobs')).classifyJob);
  console.log(await q.getJobCounts());
  await data.close();
} finally {
  await cluster.stop();
}
