import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { brotliCompressSync, gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadWidgetAsset } from './widget-asset.ts';

describe('/widget.js', () => {
  const code = Buffer.from('(function(){console.log("widget")})();\n'.repeat(50));
  let dir: string;
  let server: http.Server;
  let base: string;

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'switchboard-widget-'));
    fs.writeFileSync(path.join(dir, 'widget.js'), code);
    fs.writeFileSync(path.join(dir, 'widget.js.gz'), gzipSync(code));
    fs.writeFileSync(path.join(dir, 'widget.js.br'), brotliCompressSync(code));
    const serve = loadWidgetAsset(dir)!;
    server = http.createServer((req, res) => {
      if (!serve(req, res)) res.writeHead(404).end('next handler');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await new Promise((resolve) => server.close(resolve));
    fs.rmSync(dir, { recursive: true, force: true });
  });

  /** A raw GET (fetch would decompress and hide the encoding). */
  function get(
    url: string,
    headers: Record<string, string> = {},
  ): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: Buffer }> {
    return new Promise((resolve, reject) => {
      http
        .get(`${base}${url}`, { headers }, (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(chunks) }));
        })
        .on('error', reject);
    });
  }

  it('serves the script to any site, compressed as the browser accepts, with a short cache and an ETag', async () => {
    const br = await get('/widget.js', { 'accept-encoding': 'gzip, deflate, br' });
    expect(br.status).toBe(200);
    expect(br.headers).toMatchObject({
      'content-type': 'text/javascript; charset=utf-8',
      'content-encoding': 'br',
      'access-control-allow-origin': '*',
      'cross-origin-resource-policy': 'cross-origin',
      'x-content-type-options': 'nosniff',
      vary: 'accept-encoding',
      'cache-control': 'public, max-age=300, stale-while-revalidate=86400',
    });
    expect(br.body.equals(brotliCompressSync(code))).toBe(true);
    const gz = await get('/widget.js?v=1', { 'accept-encoding': 'gzip' });
    expect(gz.headers['content-encoding']).toBe('gzip');
    const plain = await get('/widget.js');
    expect(plain.headers['content-encoding']).toBeUndefined();
    expect(plain.body.equals(code)).toBe(true);
    const again = await get('/widget.js', { 'if-none-match': String(br.headers.etag) });
    expect(again.status).toBe(304);
    expect(again.body.length).toBe(0);
  });

  it('leaves every other path to the next handler, and is absent when the widget was not built', async () => {
    expect((await get('/widget.jsx')).body.toString()).toBe('next handler');
    expect((await get('/app/widget.js')).status).toBe(404);
    expect(loadWidgetAsset(path.join(dir, 'missing'))).toBeNull();
  });
});
