import http from 'node:http';
import type { Duplex } from 'node:stream';
import { apiEnvSchema } from '@switchboard/api/env';
import { connectMongo, mongoReady } from '@switchboard/api/db/connection';
import { registerHealthRoutes, type HealthState } from '@switchboard/api/health/health.routes';
import { parseEnv } from '@switchboard/api/lib/config';
import type { Logger } from '@switchboard/api/lib/logger';
import { createHttpServer, type HttpServer } from '@switchboard/api/http/server';
import { realtimeEnvSchema } from '@switchboard/realtime/env';
import { aiEnvSchema, defaultModelsDir } from '@switchboard/ai/env';
import { createFanout } from '@switchboard/realtime/fanout';
import { PresenceStore } from '@switchboard/realtime/presence';
import { durableDispatch, startDispatchSweep } from '@switchboard/workers/dispatch';
import { startTriage } from '@switchboard/workers/triage/triage.processor';
import { startSla } from '@switchboard/workers/sla/sla.processor';
import { startChannels, type Channels } from '@switchboard/workers/channels';
import { registerQueueDashboard } from '@switchboard/workers/dashboard/queue-dashboard';
import { MailAccountNotifier } from '@switchboard/workers/mail/account-notifier';
import { startHub, type Hub } from '@switchboard/realtime/hub';
import { searchEnvSchema, type SearchEngine } from '@switchboard/search';
import { startIndexing } from '@switchboard/workers/search/index.processor';
import { queueRedisUrl, workersEnvSchema } from '@switchboard/workers/env';
import { QueueRegistry } from '@switchboard/workers/queues/registry';
import { createDomain, type Domain } from '@switchboard/api/domain';
import { InProcessPublisher } from '@switchboard/api/events/publisher';
import { registerApi } from '@switchboard/api/http/api';
import { createProxyServer } from 'http-proxy-3';
import { Redis } from 'ioredis';
import type { Connection } from 'mongoose';
import { processEnvSchema, type ServiceName } from './env.ts';
import { loadWebHandler, type NodeHandler } from './web.ts';
import { markRebuilt, openSearchEngine, searchPlacement } from './search.ts';

/** A started process: what it serves and how to stop it. */
export interface RunningServer {
  url: string;
  port: number;
  hubPort?: number;
  services: ServiceName[];
  /** The domain services, when this process runs api, realtime or workers. */
  domain?: Domain;
  /** Graceful shutdown: not ready, hub tells clients to reconnect, drain HTTP, close pools. */
  close(): Promise<void>;
}

/** Options for {@link startServer}. */
export interface StartOptions {
  services: ServiceName[];
  env: NodeJS.ProcessEnv;
  logger: Logger;
}

/**
 * Composes the chosen services into one process behind one HTTP port. Configuration is
 * validated for exactly the services that run, before anything starts.
 */
export async function startServer({ services, env, logger }: StartOptions): Promise<RunningServer> {
  const has = (name: ServiceName) => services.includes(name);
  const processEnv = parseEnv(processEnvSchema, env);
  const needsMongo = has('api') || has('realtime') || has('workers');
  const apiEnv = needsMongo ? parseEnv(apiEnvSchema, env) : undefined;
  const realtimeEnv = has('realtime') ? parseEnv(realtimeEnvSchema, env) : undefined;
  // Every process that produces events enqueues their jobs; only `workers` processes them.
  const workersEnv = needsMongo ? parseEnv(workersEnvSchema, env) : undefined;
  const aiEnv = has('workers') ? { ...parseEnv(aiEnvSchema, env), AI_MODELS_DIR: env.AI_MODELS_DIR || defaultModelsDir(env) } : undefined;
  const searchEnv = parseEnv(searchEnvSchema, env);

  const health: HealthState = { checks: [], draining: false };
  let mongo: Connection | undefined;
  let redis: Redis | undefined;
  let domain: Domain | undefined;
  let hub: Hub | undefined;
  let registry: QueueRegistry | undefined;
  let search: SearchEngine | undefined;
  let channels: Channels | undefined;
  let app: HttpServer | undefined;
  let proxy: ReturnType<typeof createProxyServer> | undefined;
  const upgraded = new Set<Duplex>();

  /** Shutdown order: stop being ready, move sockets away, drain HTTP, then close pools. */
  const closeAll = async () => {
    health.draining = true;
    const step = async (name: string, fn: () => Promise<unknown> | unknown) => {
      try {
        await fn();
      } catch (error) {
        logger.warn({ err: error }, `shutdown: closing ${name} failed`);
      }
    };
    if (hub) await step('hub', () => hub!.close());
    for (const socket of upgraded) socket.destroy();
    if (app) await step('http', () => app!.close());
    if (proxy) await step('proxy', () => proxy!.close());
    if (channels) await step('channels', () => channels!.close());
    if (registry) await step('queues', () => registry!.close());
    // After the queues: no index job is still writing when the engine takes its snapshots.
    if (search) await step('search', () => search!.close());
    if (mongo) await step('mongodb', () => mongo!.close());
    if (redis) await step('redis', () => redis!.quit());
  };

  try {
    const webHandler: NodeHandler | undefined = has('web') ? await loadWebHandler() : undefined;

    if (apiEnv) {
      const connection = (mongo = await connectMongo(apiEnv.MONGODB_URI));
      health.checks.push({ name: 'mongodb', check: () => mongoReady(connection) });
      const client = (redis = new Redis(apiEnv.REDIS_URL, { maxRetriesPerRequest: 2, lazyConnect: true }));
      await client.connect();
      health.checks.push({ name: 'redis', check: async () => (await client.ping()) === 'PONG' });
      const publisher = new InProcessPublisher((error) => logger.warn({ err: error }, 'event listener failed'));
      // Whatever process produces events delivers them to every hub node through Redis.
      publisher.subscribe(createFanout(client, undefined, (error) => logger.warn({ err: error }, 'event fan-out to the hubs failed')));
      if (workersEnv) {
        registry = new QueueRegistry(queueRedisUrl(workersEnv), workersEnv.QUEUE_PREFIX, logger.child({ service: 'workers' }));
      }
      // Account mails (password resets) go through the outbox from whichever process runs the domain.
      const accountMail = registry ? new MailAccountNotifier(registry) : undefined;
      if (searchPlacement(services, searchEnv).engine) search = await openSearchEngine(searchEnv, logger, registry);
      domain = await createDomain({
        connection,
        redis: client,
        publisher,
        logger,
        signupOpen: apiEnv.SIGNUP_OPEN,
        publicUrl: apiEnv.PUBLIC_URL,
        mailDomain: apiEnv.MAIL_DOMAIN,
        attachmentLimits: { maxBytes: apiEnv.ATTACHMENT_MAX_BYTES, maxPixels: apiEnv.ATTACHMENT_MAX_PIXELS },
        ...(accountMail ? { notifier: accountMail } : {}),
        ...(search ? { search } : {}),
      });
      accountMail?.bind(domain);
      // Events become jobs in whatever process produced them. What they owe is written down
      // before they are stored; batches Redis refused, or whose process died first, wait in
      // MongoDB for the workers' dispatch sweep.
      if (registry) {
        const dispatch = durableDispatch(registry, domain.models, logger.child({ service: 'workers' }));
        publisher.useJournal(dispatch.journal);
        publisher.subscribe(dispatch.listener);
      }
    }

    if (realtimeEnv && domain && apiEnv) {
      hub = await startHub({
        env: realtimeEnv,
        logger: logger.child({ service: 'realtime' }),
        domain,
        allowedHosts: [new URL(apiEnv.PUBLIC_URL).host],
        // The hub binds where the HTTP port does: in containers a load balancer reaches hub
        // nodes directly, so /socket.io/ never passes through the one-port proxy there.
        host: processEnv.HOST,
      });
    }

    if (has('workers') && registry && domain && redis && aiEnv) {
      await startTriage({
        domain,
        registry,
        redis,
        presence: new PresenceStore(redis),
        ai: aiEnv,
        logger: logger.child({ service: 'workers' }),
        sweepEveryMs: workersEnv?.ROUTING_SWEEP_MS,
      });
      await startSla({ domain, registry, logger: logger.child({ service: 'workers' }), sweepEveryMs: workersEnv?.SLA_SWEEP_MS });
      await startDispatchSweep({
        models: domain.models,
        registry,
        logger: logger.child({ service: 'workers' }),
        sweepEveryMs: workersEnv?.DISPATCH_SWEEP_MS ?? 15_000,
      });
    }

    if (has('workers') && registry && domain && redis && workersEnv) {
      channels = await startChannels({ domain, registry, redis, logger: logger.child({ service: 'workers' }), config: workersEnv });
    }

    // Not a readiness check: a search outage answers 503 for search alone.
    const engine = search;
    if (engine && registry && domain && searchPlacement(services, searchEnv).indexing) {
      await startIndexing({
        domain,
        registry,
        logger: logger.child({ service: 'workers' }),
        onRebuilt: (tenantId) => markRebuilt(engine, tenantId),
      });
    }

    // The hub listens on HOST; a wildcard bind is reached through loopback.
    const hubHost = ['0.0.0.0', '::'].includes(processEnv.HOST)
      ? '127.0.0.1'
      : processEnv.HOST.includes(':')
        ? `[${processEnv.HOST}]`
        : processEnv.HOST;
    const hubTarget = hub ? `http://${hubHost}:${hub.port}` : processEnv.HUB_URL;
    if (hubTarget) {
      proxy = createProxyServer({ target: hubTarget, ws: true, xfwd: true });
      proxy.on('error', (error, _req, res) => {
        logger.warn({ err: error }, 'hub proxy error');
        if (res && 'writeHead' in res && !res.headersSent) {
          res
            .writeHead(502, { 'content-type': 'application/json' })
            .end('{"error":{"code":"unavailable","message":"realtime hub unreachable"}}');
        } else if (res && 'destroy' in res) {
          res.destroy();
        }
      });
    }
    const hubProxy = proxy;

    app = createHttpServer({
      logger,
      bodyLimit: apiEnv?.API_BODY_LIMIT_BYTES ?? 1024 * 1024,
      trustProxy: processEnv.TRUST_PROXY,
      // One port, routed by path before Fastify parses anything, so proxied and
      // SvelteKit requests keep their bodies untouched.
      serverFactory: (fastifyHandler) => {
        const server = http.createServer((req, res) => {
          const url = req.url ?? '/';
          if (hubProxy && url.startsWith('/socket.io/')) return hubProxy.web(req, res);
          if (!webHandler || url.startsWith('/api/') || url.startsWith('/health/')) return fastifyHandler(req, res);
          return webHandler(req, res, () => fastifyHandler(req, res));
        });
        server.on('upgrade', (req, socket, head) => {
          if (hubProxy && (req.url ?? '').startsWith('/socket.io/')) {
            upgraded.add(socket);
            socket.once('close', () => upgraded.delete(socket));
            return hubProxy.ws(req, socket, head);
          }
          socket.destroy();
        });
        return server;
      },
    });
    registerHealthRoutes(app, health);
    if (has('api') && domain && redis && apiEnv) {
      await registerApi(app, { domain, redis, allowedHosts: [new URL(apiEnv.PUBLIC_URL).host] });
      if (registry && workersEnv) {
        await registerQueueDashboard(app, {
          domain,
          registry,
          tenantSlugs: workersEnv.QUEUE_DASHBOARD_TENANTS,
          allowedHosts: [new URL(apiEnv.PUBLIC_URL).host],
        });
      }
    }
    await app.listen({ port: processEnv.PORT, host: processEnv.HOST });
    const address = app.server.address();
    const port = typeof address === 'object' && address ? address.port : processEnv.PORT;
    const url = `http://${processEnv.HOST === '0.0.0.0' ? 'localhost' : processEnv.HOST}:${port}`;
    logger.info({ services, url, hubPort: hub?.port }, `switchboard listening on ${url} (services: ${services.join(', ')})`);

    let closing: Promise<void> | undefined;
    return { url, port, hubPort: hub?.port, services, domain, close: () => (closing ??= closeAll()) };
  } catch (error) {
    await closeAll();
    throw error;
  }
}
