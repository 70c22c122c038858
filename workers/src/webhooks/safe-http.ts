import { lookup } from 'node:dns/promises';
import http from 'node:http';
import https from 'node:https';
import type { LookupFunction } from 'node:net';
import ipaddr from 'ipaddr.js';

/** The target resolves to an address webhooks may not reach (private, loopback, link-local, …). */
export class BlockedAddressError extends Error {
  constructor(host: string, address: string, range: string) {
    super(`${host} resolves to ${address} (${range}); webhooks only reach public addresses`);
    this.name = 'BlockedAddressError';
  }
}

/** Options of {@link postSafely}. */
export interface SafePostOptions {
  timeoutMs: number;
  /** Allow private and loopback targets (tests, closed networks). */
  allowPrivate: boolean;
  /** Response bytes kept for the delivery log. */
  maxResponseBytes?: number;
}

/** What the endpoint answered. */
export interface SafePostResult {
  status: number;
  location: string | null;
  body: string;
}

/** Throws unless `address` is a public unicast address (or private ones are allowed). */
function assertPublic(host: string, address: string, allowPrivate: boolean): void {
  const parsed = ipaddr.process(address);
  const range = parsed.range();
  if (range !== 'unicast' && !allowPrivate) throw new BlockedAddressError(host, address, range);
}

/**
 * Resolves the host once and checks every address it has; the connection then goes to the
 * checked address only (no second lookup a DNS rebinding could answer differently).
 */
async function resolveChecked(host: string, allowPrivate: boolean): Promise<{ address: string; family: 4 | 6 }> {
  if (ipaddr.isValid(host)) {
    assertPublic(host, host, allowPrivate);
    return { address: host, family: ipaddr.parse(host).kind() === 'ipv6' ? 6 : 4 };
  }
  const addresses = await lookup(host, { all: true, verbatim: true });
  if (addresses.length === 0) throw new Error(`${host} does not resolve`);
  for (const entry of addresses) assertPublic(host, entry.address, allowPrivate);
  const first = addresses[0]!;
  return { address: first.address, family: first.family === 6 ? 6 : 4 };
}

/**
 * POSTs a body to a webhook URL defensively: the host must resolve to public addresses
 * (SSRF), redirects are reported, never followed, and the whole exchange — connect,
 * headers, body — must finish within the timeout. Only the start of the answer is read.
 */
export async function postSafely(
  url: string,
  body: string,
  headers: Record<string, string>,
  options: SafePostOptions,
): Promise<SafePostResult> {
  const target = new URL(url);
  if (target.protocol !== 'http:' && target.protocol !== 'https:') throw new Error(`unsupported protocol ${target.protocol}`);
  const host = target.hostname.replace(/^\[|\]$/g, '');
  const pinned = await resolveChecked(host, options.allowPrivate);
  const pinnedLookup: LookupFunction = (_hostname, lookupOptions, callback) => {
    if ((lookupOptions as { all?: boolean }).all)
      (callback as unknown as (e: null, a: Array<{ address: string; family: number }>) => void)(null, [pinned]);
    else callback(null, pinned.address, pinned.family);
  };
  const limit = options.maxResponseBytes ?? 2048;
  const client = target.protocol === 'https:' ? https : http;
  return new Promise<SafePostResult>((resolve, reject) => {
    const request = client.request(
      target,
      {
        method: 'POST',
        headers: { ...headers, 'content-length': String(Buffer.byteLength(body)) },
        lookup: pinnedLookup,
        agent: false,
      },
      (response) => {
        const chunks: Buffer[] = [];
        let size = 0;
        response.on('data', (chunk: Buffer) => {
          if (size < limit) chunks.push(chunk.subarray(0, limit - size));
          size += chunk.length;
          if (size >= limit) response.destroy();
        });
        const done = () => {
          clearTimeout(timer);
          resolve({
            status: response.statusCode ?? 0,
            location: response.headers.location ?? null,
            body: Buffer.concat(chunks).toString('utf8'),
          });
        };
        response.on('end', done);
        response.on('close', done);
        response.on('error', done);
      },
    );
    const timer = setTimeout(() => request.destroy(new Error(`no answer within ${options.timeoutMs} ms`)), options.timeoutMs);
    request.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    request.end(body);
  });
}
