/**
 * `npm run cluster -- --hubs 2 --workers 2 [--web] [--no-seed]`: a multi-process
 * Switchboard on loopback (see cluster.ts), demo tenants seeded, URLs printed; it stays up
 * until Ctrl-C, then stops every process it started (also when starting fails half-way).
 */
import { parseArgs } from 'node:util';
import { DEMO_PASSWORD, seedDemo } from '@switchboard/api/seed/demo';
import { connectDomain, startCluster, type Cluster } from './cluster.ts';

const { values } = parseArgs({
  options: {
    hubs: { type: 'string', default: '2' },
    workers: { type: 'string', default: '2' },
    web: { type: 'boolean', default: false },
    'no-seed': { type: 'boolean', default: false },
  },
});
const hubs = Number(values.hubs);
const workers = Number(values.workers);
if (!Number.isInteger(hubs) || hubs < 1 || hubs > 8) throw new Error('--hubs: a whole number from 1 to 8');
if (!Number.isInteger(workers) || workers < 0 || workers > 8) throw new Error('--workers: a whole number from 0 to 8');

const log = (line: string) => console.log(`[cluster] ${line}`);
let cluster: Cluster | undefined;
let stopping = false;
let startupDone = false;
const stop = async (code: number) => {
  if (stopping) return;
  stopping = true;
  log('stopping every process …');
  await cluster?.stop();
  log('stopped');
  process.exit(code);
};
process.on('SIGINT', () => void stop(startupDone ? 0 : 130));
process.on('SIGTERM', () => void stop(startupDone ? 0 : 143));

try {
  cluster = await startCluster({ hubs, workers, web: values.web, log });
  if (stopping) await new Promise(() => undefined);
  const rows: Array<[string, string]> = [
    ['URL (API, health' + (values.web ? ', web' : '') + ', /socket.io/)', cluster.url],
    ['socket balancer', cluster.balancer.url],
    ...cluster.hubs.map((h): [string, string] => [
      `${h.name} (pid ${h.pid()})`,
      `ws://127.0.0.1:${h.hubPort}  health http://127.0.0.1:${h.port}/health/ready`,
    ]),
    ...cluster.workers.map((w): [string, string] => [`${w.name} (pid ${w.pid()})`, `http://127.0.0.1:${w.port}/health/ready`]),
    ['Redis', cluster.redisUrl],
    ['MongoDB', cluster.mongoUri],
    ['logs', `${cluster.dataDir}/logs`],
  ];
  if (!values['no-seed']) {
    const domainEnv = await connectDomain(cluster);
    try {
      const logins = await seedDemo(domainEnv.domain);
      for (const login of logins) rows.push([`login ${login.tenant}`, `${login.email} / ${DEMO_PASSWORD} (${login.role})`]);
    } finally {
      await domainEnv.close();
    }
  }
  const width = Math.max(...rows.map(([k]) => k.length));
  console.log(`\n${rows.map(([k, v]) => `  ${k.padEnd(width)}  ${v}`).join('\n')}\n`);
  log('up; Ctrl-C stops everything');
  startupDone = true;
} catch (error) {
  console.error(error instanceof Error ? error.message : error);
  await stop(1);
}
