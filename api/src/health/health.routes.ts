import type { HttpServer } from '../http/server.ts';

/** One dependency the process needs to serve traffic (MongoDB, Redis, Meilisearch). */
export interface ReadinessCheck {
  name: string;
  check: () => Promise<boolean>;
}

/** Live = the process runs. Ready = it can serve: every dependency answers, and it is not shutting down. */
export interface HealthState {
  checks: ReadinessCheck[];
  /** Set during graceful shutdown so load balancers stop sending traffic first. */
  draining: boolean;
}

const CHECK_TIMEOUT_MS = 2000;

async function run(check: ReadinessCheck): Promise<{ name: string; ok: boolean; error?: string; ms: number }> {
  const started = performance.now();
  try {
    const ok = await Promise.race([
      check.check(),
      new Promise<boolean>((_, reject) =>
        setTimeout(() => reject(new Error(`no answer within ${CHECK_TIMEOUT_MS} ms`)), CHECK_TIMEOUT_MS).unref(),
      ),
    ]);
    return { name: check.name, ok, ms: Math.round(performance.now() - started) };
  } catch (error) {
    return { name: check.name, ok: false, error: (error as Error).message, ms: Math.round(performance.now() - started) };
  }
}

/** Registers GET /health/live and GET /health/ready (not logged: probes run every few seconds). */
export function registerHealthRoutes(app: HttpServer, state: HealthState): void {
  app.get('/health/live', { logLevel: 'warn' }, async () => ({ status: 'ok' }));
  app.get('/health/ready', { logLevel: 'warn' }, async (_request, reply) => {
    const results = await Promise.all(state.checks.map(run));
    const ok = !state.draining && results.every((r) => r.ok);
    return reply.status(ok ? 200 : 503).send({ status: ok ? 'ok' : state.draining ? 'draining' : 'unavailable', checks: results });
  });
}
