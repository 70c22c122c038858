/**
 * Test access to the real services `npm test` provisioned (see infra/src/testing).
 * Each caller gets its own database, so test files run in parallel without sharing data.
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

function required(name: string): string {
  const value = process.env[name];
  if (!value)
    throw new Error(
      `${name} is not set: run tests through \`npm test\` or vitest with the root config (its global setup provisions the services)`,
    );
  return value;
}

/** MongoDB URI of a fresh, uniquely named database. */
export function testMongoUri(label = 't'): string {
  const safe =
    label
      .replace(/[^a-z0-9]/gi, '')
      .slice(0, 20)
      .toLowerCase() || 't';
  return `${required('SWITCHBOARD_TEST_MONGO_BASE')}/${safe}_${randomBytes(4).toString('hex')}`;
}

/**
 * URL of the test Redis. Use a distinct key prefix per test file when data could collide,
 * or a logical database (`db`, 1-15) when keys the product names itself could: a stack that
 * must see the real per-address rate limits (127.0.0.1 for every test) takes its own.
 */
export function testRedisUrl(db?: number): string {
  const url = required('SWITCHBOARD_TEST_REDIS_URL');
  if (db === undefined) return url;
  if (!Number.isInteger(db) || db < 1 || db > 15) throw new Error(`testRedisUrl: db must be 1-15, got ${db}`);
  const parsed = new URL(url);
  parsed.pathname = `/${db}`;
  return parsed.toString();
}

/** Which MongoDB-compatible server the tests run against (`ferretdb`, `mongod`, `external`). */
export function testMongoKind(): string {
  return process.env.SWITCHBOARD_TEST_MONGO_KIND ?? 'unknown';
}

const searchDirs = new Set<string>();

/**
 * A fresh directory for an embedded search engine (SEARCH_DATA_DIR of a test server), so
 * tests never touch the dev index nor share one; removed when the test process exits.
 */
export function testSearchDir(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'switchboard-search-'));
  if (searchDirs.size === 0) process.once('exit', () => searchDirs.forEach((d) => fs.rmSync(d, { recursive: true, force: true })));
  searchDirs.add(dir);
  return dir;
}
