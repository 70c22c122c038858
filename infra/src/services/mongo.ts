import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { MongoClient } from 'mongodb';
import { ProvisionError } from './errors.ts';
import { isPortFree, waitUntil } from './net.ts';
import { cacheDir } from './paths.ts';
import { awaitReady, isAlive, startProcess, type ManagedProcess } from './process.ts';
import { which } from './system.ts';

/** The FerretDB release we build when no MongoDB is available (see docs/decisions.md). */
export const FERRETDB_VERSION = 'v1.24.2';

/** A MongoDB-compatible server: given by URL, a local mongod, or FerretDB on SQLite. */
export interface MongoService {
  /** Base URI without a database name, e.g. mongodb://127.0.0.1:27027 */
  baseUri: string;
  kind: 'external' | 'mongod' | 'ferretdb';
  process?: ManagedProcess;
  stop(): Promise<void>;
}

/** Options for {@link ensureMongo}. */
export interface MongoOptions {
  /** MONGODB_URI when set: used as is, nothing started. */
  uri?: string;
  port: number;
  dataDir: string;
  log: (line: string) => void;
  timeoutMs?: number;
  /** The server binary, when already resolved with {@link resolveMongoServer}. */
  binary?: MongoServerBinary;
}

/** Which local server binary to run. */
export interface MongoServerBinary {
  kind: 'mongod' | 'ferretdb';
  path: string;
}

/**
 * Picks the local server: a mongod on PATH, else FerretDB (built once when missing).
 * Call it before starting other services: a first-time build takes minutes.
 */
export async function resolveMongoServer(log: (line: string) => void): Promise<MongoServerBinary> {
  const mongod = which('mongod');
  if (mongod) return { kind: 'mongod', path: mongod };
  return { kind: 'ferretdb', path: await ensureFerretDB(log) };
}

/** Connects and runs `ping`; true when the server answers. */
export async function pingMongo(uri: string, timeoutMs = 2000): Promise<boolean> {
  const client = new MongoClient(uri, { serverSelectionTimeoutMS: timeoutMs, connectTimeoutMS: timeoutMs });
  try {
    await client.connect();
    const reply = await client.db('admin').command({ ping: 1 });
    return reply.ok === 1;
  } finally {
    await client.close().catch(() => undefined);
  }
}

/** Strips the database path and query from a URI so callers can pick their own database. */
export function baseOf(uri: string): string {
  const match = /^(mongodb(?:\+srv)?:\/\/[^/?]+)/.exec(uri);
  return match ? match[1]! : uri;
}

/**
 * Provisioning order (ENVIRONMENT.md): MONGODB_URI if set; else a mongod on PATH; else
 * FerretDB with its SQLite backend, built with Go into the cache when missing.
 */
export async function ensureMongo(options: MongoOptions): Promise<MongoService> {
  if (options.uri) {
    const ok = await waitUntil(() => pingMongo(options.uri!), { timeoutMs: options.timeoutMs ?? 15_000, intervalMs: 250 });
    if (!ok.ok)
      throw new ProvisionError(
        `MONGODB_URI does not answer (${ok.lastError})`,
        'start that server, fix MONGODB_URI, or unset it to let Switchboard start its own',
      );
    return { baseUri: baseOf(options.uri), kind: 'external', stop: async () => undefined };
  }
  fs.mkdirSync(options.dataDir, { recursive: true });
  if (!(await isPortFree(options.port))) {
    throw new ProvisionError(
      `port ${options.port} (MongoDB) is already in use`,
      `stop what listens there (ss -ltnp 'sport = :${options.port}') or set MONGODB_URI`,
    );
  }
  const baseUri = `mongodb://127.0.0.1:${options.port}`;
  const logFile = path.join(options.dataDir, 'mongo.log');
  const server = options.binary ?? (await resolveMongoServer(options.log));
  let proc: ManagedProcess;
  let kind: MongoService['kind'];
  if (server.kind === 'mongod') {
    const mongod = server.path;
    const dbPath = path.join(options.dataDir, 'mongod');
    fs.mkdirSync(dbPath, { recursive: true });
    proc = startProcess('mongod', mongod, ['--dbpath', dbPath, '--port', String(options.port), '--bind_ip', '127.0.0.1', '--quiet'], {
      logFile,
    });
    kind = 'mongod';
  } else {
    const binary = server.path;
    const sqliteDir = path.join(options.dataDir, 'ferretdb');
    fs.mkdirSync(sqliteDir, { recursive: true });
    proc = startProcess(
      'ferretdb',
      binary,
      [
        '--handler=sqlite',
        `--sqlite-url=file:${sqliteDir}/`,
        `--listen-addr=127.0.0.1:${options.port}`,
        '--debug-addr=-',
        `--state-dir=${sqliteDir}`,
        '--telemetry=disable',
        '--log-level=warn',
      ],
      { logFile },
    );
    kind = 'ferretdb';
  }
  await awaitReady(proc, () => pingMongo(baseUri, 500), {
    timeoutMs: options.timeoutMs ?? 30_000,
    fix: 'read the log; set MONGODB_URI to use another server',
  });
  return { baseUri, kind, process: proc, stop: () => proc.stop() };
}

/** Finds `go`, also where Go's own installer puts it. */
function findGo(): string | undefined {
  return (
    which('go') ??
    which('/usr/local/go/bin/go') ??
    which(path.join(process.env.HOME ?? '/root', 'go/bin/go')) ??
    which('/usr/lib/go/bin/go')
  );
}

/** Runs one build step; throws a ProvisionError with the tail of its output on failure. */
function step(go: string, args: string[], cwd: string, env: NodeJS.ProcessEnv, logFile: string): void {
  const result = spawnSync(go, args, { cwd, env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 15 * 60_000 });
  fs.appendFileSync(logFile, `$ go ${args.join(' ')}\n${result.stdout ?? ''}${result.stderr ?? ''}`);
  if (result.status !== 0) {
    const tail = (result.stderr || result.stdout || String(result.error ?? '')).trim().split('\n').slice(-1)[0];
    throw new ProvisionError(
      `building FerretDB failed at "go ${args.join(' ')}": ${tail}`,
      'check access to the Go module proxy, or set MONGODB_URI',
      logFile,
    );
  }
}

/**
 * Returns the FerretDB binary from the cache, building it once with Go when missing.
 * The build goes through a small wrapper module and `go mod vendor` because FerretDB
 * refuses to start without a version stamp that `go install` cannot supply; a lock
 * directory keeps concurrent runs (npm start + npm test) from building twice.
 */
export async function ensureFerretDB(log: (line: string) => void): Promise<string> {
  const binDir = path.join(cacheDir(), 'bin');
  const binary = path.join(binDir, `ferretdb-${FERRETDB_VERSION}`);
  if (fs.existsSync(binary)) return binary;
  const go = findGo();
  if (!go) {
    throw new ProvisionError(
      'no MongoDB-compatible server: mongod is not installed and Go is missing to build FerretDB',
      'install Go >= 1.22 (https://go.dev/dl), or set MONGODB_URI to a running MongoDB',
    );
  }
  fs.mkdirSync(binDir, { recursive: true });
  const lockDir = path.join(cacheDir(), 'ferretdb-build.lock');
  const acquired = await waitUntil(
    async () => {
      try {
        fs.mkdirSync(lockDir);
        fs.writeFileSync(path.join(lockDir, 'pid'), String(process.pid));
        return true;
      } catch {
        if (fs.existsSync(binary)) return true;
        const holder = Number(fs.readFileSync(path.join(lockDir, 'pid'), { encoding: 'utf8', flag: 'a+' }) || 0);
        if (holder > 0 && !isAlive(holder)) fs.rmSync(lockDir, { recursive: true, force: true });
        return false;
      }
    },
    { timeoutMs: 20 * 60_000, intervalMs: 1000 },
  );
  if (!acquired.ok) throw new ProvisionError('timed out waiting for another FerretDB build', `remove ${lockDir} if no build runs`);
  try {
    if (fs.existsSync(binary)) return binary;
    log(`building FerretDB ${FERRETDB_VERSION} with ${go} (once per machine, about two minutes)`);
    const buildDir = path.join(cacheDir(), 'build', `ferretdb-${FERRETDB_VERSION}`);
    fs.rmSync(buildDir, { recursive: true, force: true });
    fs.mkdirSync(buildDir, { recursive: true });
    const logFile = path.join(buildDir, 'build.log');
    fs.writeFileSync(
      path.join(buildDir, 'go.mod'),
      `module switchboard.local/ferretdb\n\ngo 1.22\n\nrequire github.com/FerretDB/FerretDB ${FERRETDB_VERSION}\n`,
    );
    fs.writeFileSync(
      path.join(buildDir, 'tools.go'),
      '//go:build tools\n\npackage tools\n\nimport _ "github.com/FerretDB/FerretDB/cmd/ferretdb"\n',
    );
    const env = { ...process.env, CGO_ENABLED: '0', GOFLAGS: '-buildvcs=false' };
    step(go, ['mod', 'tidy'], buildDir, env, logFile);
    step(go, ['mod', 'vendor'], buildDir, env, logFile);
    fs.writeFileSync(path.join(buildDir, 'vendor/github.com/FerretDB/FerretDB/build/version/version.txt'), `${FERRETDB_VERSION}\n`);
    const out = `${binary}.tmp-${process.pid}`;
    const build = ['build', '-mod=vendor', '-trimpath', '-o', out, 'github.com/FerretDB/FerretDB/cmd/ferretdb'];
    try {
      step(go, build, buildDir, env, logFile);
    } catch {
      // Newer Go toolchains restrict //go:linkname; this is the documented way out.
      step(go, [...build.slice(0, 4), '-ldflags=-checklinkname=0', ...build.slice(4)], buildDir, env, logFile);
    }
    fs.renameSync(out, binary);
    fs.rmSync(buildDir, { recursive: true, force: true });
    log(`FerretDB built: ${binary}`);
    return binary;
  } finally {
    fs.rmSync(lockDir, { recursive: true, force: true });
  }
}
