import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { aptInstall, which } from '../services/system.ts';
import { deployDir, loadCompose, parseNginx, runTool, type NginxDirective } from './manifests.ts';

const configFile = path.join(deployDir, 'nginx', 'nginx.conf');
const text = fs.readFileSync(configFile, 'utf8');
const tree = parseNginx(text);
const http = tree.find((d) => d.name === 'http')!;
const server = http.children!.find((d) => d.name === 'server')!;
const location = (prefix: string) => server.children!.find((d) => d.name === 'location' && d.args.at(-1) === prefix);
const all = (block: NginxDirective | undefined, name: string) => (block?.children ?? []).filter((d) => d.name === name);
const one = (block: NginxDirective | undefined, name: string) => all(block, name)[0];
const upstream = (name: string) => http.children!.find((d) => d.name === 'upstream' && d.args[0] === name);
const headers = (block: NginxDirective | undefined) =>
  new Map(all(block, 'proxy_set_header').map((d) => [d.args[0]!.toLowerCase(), d.args[1]]));
const seconds = (value: string | undefined) => Number(/^(\d+)s?$/.exec(value ?? '')?.[1] ?? Number.NaN);
const tempDirs: string[] = [];
afterAll(() => tempDirs.forEach((dir) => fs.rmSync(dir, { recursive: true, force: true })));

describe('nginx reverse proxy (infra/deploy/nginx/nginx.conf)', () => {
  it('proxies /socket.io/ to the hub nodes with the websocket upgrade headers and long timeouts', () => {
    const hub = location('/socket.io/');
    expect(one(hub, 'proxy_pass')?.args).toEqual(['http://hub']);
    expect(one(hub, 'proxy_http_version')?.args).toEqual(['1.1']);
    expect(headers(hub).get('upgrade')).toBe('$http_upgrade');
    expect(headers(hub).get('connection')).toBe('$connection_upgrade');
    const map = http.children!.find((d) => d.name === 'map' && d.args[0] === '$http_upgrade' && d.args[1] === '$connection_upgrade');
    expect(map?.children?.find((d) => d.name === 'default')?.args).toEqual(['upgrade']);
    // engine.io pings every 20 s and waits 20 s for the pong: shorter cuts idle sockets.
    expect(seconds(one(hub, 'proxy_read_timeout')?.args[0])).toBeGreaterThanOrEqual(60);
    expect(one(hub, 'proxy_buffering')?.args).toEqual(['off']);
  });

  it('pins long-polling clients to one hub node and lists every hub node of the compose file', () => {
    const hub = upstream('hub');
    expect(one(hub, 'hash')?.args).toEqual(['$remote_addr', 'consistent']);
    const servers = all(hub, 'server').map((d) => d.args[0]);
    const nodes = Object.entries(loadCompose().services)
      .filter(([, s]) => JSON.stringify(s.command) === JSON.stringify(['--services=realtime']))
      .map(([id]) => `${id}:3001`);
    expect(nodes.length).toBeGreaterThanOrEqual(2);
    expect(servers.sort()).toEqual(nodes.sort());
  });

  it('routes /api/ and /health/ to the api and everything else to web', () => {
    expect(one(location('/api/'), 'proxy_pass')?.args).toEqual(['http://api']);
    expect(one(location('/health/'), 'proxy_pass')?.args).toEqual(['http://api']);
    expect(one(location('/'), 'proxy_pass')?.args).toEqual(['http://web']);
    expect(all(upstream('api'), 'server').map((d) => d.args[0])).toEqual(['api:3000']);
    expect(all(upstream('web'), 'server').map((d) => d.args[0])).toEqual(['web:3000']);
  });

  it('forwards the client address, scheme and host from every proxied location (locations do not inherit them)', () => {
    const proxied = server.children!.filter((d) => d.name === 'location' && one(d, 'proxy_pass'));
    expect(proxied.length).toBe(4);
    for (const block of proxied) {
      const set = headers(block);
      expect(set.get('host'), block.args.join(' ')).toBe('$host');
      expect(set.get('x-forwarded-for'), block.args.join(' ')).toBe('$proxy_add_x_forwarded_for');
      expect(set.get('x-forwarded-proto'), block.args.join(' ')).toBe('$scheme');
    }
  });

  it('is accepted by nginx itself (nginx -t, with the compose hosts mapped to loopback)', () => {
    const nginx =
      which('nginx') ??
      which('/usr/sbin/nginx') ??
      (aptInstall(['nginx-light'], (line) => console.log(`[deploy] ${line}`)), which('/usr/sbin/nginx'));
    expect(nginx, 'nginx could not be installed').toBeDefined();
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sb-nginx-'));
    tempDirs.push(dir);
    // Container names resolve only inside the compose network (nginx -t resolves upstreams), and a
    // test runner may have no /dev/stdout to open.
    const local = text
      .replace(/server (realtime-\d+|api|web):(\d+)/g, 'server 127.0.0.1:$2')
      .replace('pid /tmp/nginx.pid;', `pid ${dir}/nginx.pid;`)
      .replace(/\/dev\/std(out|err)/g, `${dir}/$1.log`);
    fs.writeFileSync(path.join(dir, 'nginx.conf'), local);
    const result = runTool(nginx!, ['-t', '-q', '-p', dir, '-c', path.join(dir, 'nginx.conf'), '-e', path.join(dir, 'error.log')]);
    expect(result.status, result.output).toBe(0);
  });
});
