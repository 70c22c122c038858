import net from 'node:net';

/** Resolves true when nothing listens on host:port (we could bind it ourselves). */
export function isPortFree(port: number, host = '127.0.0.1'): Promise<boolean> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once('error', () => resolve(false));
    server.listen({ port, host, exclusive: true }, () => {
      server.close(() => resolve(true));
    });
  });
}

/** Asks the kernel for a free loopback port. Used by tests so parallel runs never collide. */
export function freePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen({ port: 0, host }, () => {
      const address = server.address();
      server.close(() => {
        if (address && typeof address === 'object') resolve(address.port);
        else reject(new Error('no port assigned'));
      });
    });
  });
}

/**
 * Polls `check` until it resolves true or the deadline passes. Errors thrown by `check`
 * count as "not yet"; the last one is returned so the caller can show it.
 */
export async function waitUntil(
  check: () => Promise<boolean>,
  { timeoutMs, intervalMs = 100, abort }: { timeoutMs: number; intervalMs?: number; abort?: () => string | undefined },
): Promise<{ ok: true } | { ok: false; lastError: string }> {
  const deadline = Date.now() + timeoutMs;
  let lastError = 'timed out';
  while (Date.now() < deadline) {
    const aborted = abort?.();
    if (aborted) return { ok: false, lastError: aborted };
    try {
      if (await check()) return { ok: true };
    } catch (error) {
      lastError = error instanceof Error ? error.message : String(error);
    }
    await new Promise((r) => setTimeout(r, intervalMs));
  }
  return { ok: false, lastError };
}

/** Sends one inline command to a Redis server over a raw socket and returns the first reply line. */
export function redisCommand(port: number, command: string, host = '127.0.0.1', timeoutMs = 1000): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ port, host });
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`no reply from ${host}:${port} within ${timeoutMs} ms`));
    }, timeoutMs);
    let buffer = '';
    socket.setEncoding('utf8');
    socket.on('connect', () => socket.write(`${command}\r\n`));
    socket.on('data', (chunk: string) => {
      buffer += chunk;
      const end = buffer.indexOf('\r\n');
      if (end >= 0) {
        clearTimeout(timer);
        socket.end();
        resolve(buffer.slice(0, end));
      }
    });
    socket.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
  });
}
