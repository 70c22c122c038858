import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { ensurePythonTool } from '../services/python-tools.ts';
import { repoRoot } from '../services/paths.ts';
import { parseEnv } from '@switchboard/api/lib/config';
import {
  ENV_SCHEMAS,
  allEnvVars,
  deployDir,
  loadCompose,
  loadEnvExample,
  parseDuration,
  runTool,
  type ComposeService,
} from './manifests.ts';

const compose = loadCompose();
const env = loadEnvExample();
/** Services that run the Switchboard image (the rest are MongoDB, Redis, Meilisearch, nginx). */
const appServices = Object.entries(compose.services).filter(([, s]) => s.image?.includes('SWITCHBOARD_IMAGE'));
const commandOf = (service: ComposeService) => (Array.isArray(service.command) ? service.command.join(' ') : (service.command ?? ''));
const servicesRunning = (name: string) => appServices.filter(([, s]) => commandOf(s) === `--services=${name}`).map(([id]) => id);

describe('docker-compose.yml', () => {
  let checkJsonschema: string;
  beforeAll(async () => {
    checkJsonschema = await ensurePythonTool('check-jsonschema', (line) => console.log(`[deploy] ${line}`));
  }, 600_000);

  it('conforms to the Compose Specification schema (check-jsonschema, vendored compose-spec)', () => {
    const result = runTool(checkJsonschema, [
      '--builtin-schema',
      'vendor.compose-spec',
      '-o',
      'json',
      path.join(deployDir, 'docker-compose.yml'),
    ]);
    const report = JSON.parse(result.output.slice(result.output.indexOf('{'))) as {
      status: string;
      errors?: Array<{ path: string; message: string }>;
    };
    expect(report.errors?.map((e) => `${e.path}: ${e.message}`) ?? [], result.output).toEqual([]);
    expect(report.status).toBe('ok');
    expect(result.status).toBe(0);
  });

  it('runs the full stack: a MongoDB replica set with its init job, Redis 7, Meilisearch, api, 2+ hub nodes, workers, web, nginx', () => {
    const mongo = compose.services.mongo!;
    expect(mongo.image).toMatch(/^mongo:7/);
    expect(commandOf(mongo)).toMatch(/--replSet rs0/);
    const init = compose.services['mongo-init']!;
    expect(init.depends_on).toMatchObject({ mongo: { condition: 'service_healthy' } });
    const script = init.volumes?.find((v) => v.includes('replica-set.js'))?.split(':')[0];
    expect(script).toBeDefined();
    expect(fs.readFileSync(path.join(deployDir, script!), 'utf8')).toMatch(/rs\.initiate\(/);
    expect(compose.services.redis!.image).toMatch(/^redis:7/);
    expect(compose.services.meilisearch!.image).toMatch(/^getmeili\/meilisearch:v1\./);
    expect(servicesRunning('api')).toHaveLength(1);
    expect(servicesRunning('realtime').length).toBeGreaterThanOrEqual(2);
    expect(servicesRunning('workers').length).toBeGreaterThanOrEqual(1);
    expect(servicesRunning('web')).toHaveLength(1);
    expect(env.get('MONGODB_URI')?.value).toMatch(/^mongodb:\/\/mongo:27017\/\w+\?replicaSet=rs0$/);
  });

  it('starts app services only after the replica set is initiated and the data services are healthy', () => {
    for (const [id, service] of appServices) {
      expect(service.depends_on, id).toMatchObject({
        'mongo-init': { condition: 'service_completed_successfully' },
        redis: { condition: 'service_healthy' },
        meilisearch: { condition: 'service_healthy' },
      });
    }
  });

  it('gives every long-running service a health check and a restart policy', () => {
    for (const [id, service] of Object.entries(compose.services)) {
      if (id === 'mongo-init') continue;
      expect(service.restart, id).toMatch(/^(always|unless-stopped|on-failure)/);
      expect(service.healthcheck?.test, id).toBeDefined();
      expect(service.healthcheck?.disable, id).not.toBe(true);
    }
    for (const [id, service] of appServices) expect(JSON.stringify(service.healthcheck?.test), id).toMatch(/\/health\/(ready|live)/);
  });

  it('lets every app service finish its graceful shutdown before Docker kills it', () => {
    const shutdownMs = Number(env.get('SHUTDOWN_TIMEOUT_MS')?.value);
    expect(shutdownMs).toBeGreaterThan(0);
    for (const [id, service] of appServices) {
      expect(service.stop_grace_period, id).toBeDefined();
      expect(parseDuration(service.stop_grace_period!), `${id} stop_grace_period`).toBeGreaterThan(shutdownMs);
    }
  });

  it('publishes only the reverse proxy; the data services sit on an internal network', () => {
    const published = Object.entries(compose.services)
      .filter(([, s]) => (s.ports ?? []).length > 0)
      .map(([id]) => id);
    expect(published).toEqual(['nginx']);
    for (const id of ['mongo', 'redis', 'meilisearch']) {
      for (const network of compose.services[id]!.networks ?? [])
        expect(compose.networks?.[network]?.internal, `${id} on ${network}`).toBe(true);
    }
  });

  it('runs app containers with a read-only root file system and the settings from .env', () => {
    for (const [id, service] of appServices) {
      expect(service.read_only, id).toBe(true);
      expect(service.env_file, id).toBe('.env');
    }
  });
});

describe('.env.example', () => {
  it('documents every variable Switchboard reads, each with a comment', () => {
    for (const variable of allEnvVars()) {
      const entry = env.get(variable.name);
      expect(entry, `.env.example is missing ${variable.name} (${variable.description})`).toBeDefined();
      expect(entry!.description.length, `${variable.name} needs a comment line above it`).toBeGreaterThan(10);
    }
  });

  it('holds a configuration every service accepts (each env schema parses it)', () => {
    const values = Object.fromEntries([...env.values()].filter((e) => !e.commented).map((e) => [e.name, e.value]));
    for (const [name, schema] of Object.entries(ENV_SCHEMAS)) expect(() => parseEnv(schema, values), name).not.toThrow();
  });

  it('defines every ${VARIABLE} docker-compose.yml interpolates', () => {
    const used = [...compose.text.matchAll(/\$\{([A-Z][A-Z0-9_]*)/g)].map((m) => m[1]!);
    expect(used.length).toBeGreaterThan(0);
    for (const name of used) expect(env.get(name), `${name} is used by docker-compose.yml`).toBeDefined();
  });

  it('keeps a real infra/deploy/.env out of git', () => {
    const ignored = spawnSync('git', ['check-ignore', '-q', 'infra/deploy/.env'], { cwd: repoRoot });
    expect(ignored.status, 'infra/deploy/.env must be ignored by .gitignore').toBe(0);
    expect(fs.existsSync(path.join(deployDir, '.env.example'))).toBe(true);
  });
});
