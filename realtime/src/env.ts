import { envTypes, envVar } from '@switchboard/api/lib/config';
import { z } from 'zod';

/** Settings of the realtime hub. */
export const realtimeEnvSchema = z.object({
  REDIS_URL: envVar(envTypes.url(['redis', 'rediss']), {
    description: 'Redis for the socket.io adapter, presence and rate limits. `npm start` provisions one when unset.',
    example: 'redis://127.0.0.1:6379',
  }),
  HUB_PORT: envVar(envTypes.port().default(3001), {
    description: 'Port the socket.io hub listens on (the single URL proxies /socket.io/ to it in all-in-one mode).',
    example: '3001',
  }),
  HUB_ENGINE: envVar(z.enum(['auto', 'uws', 'node']).default('auto'), {
    description:
      'Transport engine: uWebSockets.js (`uws`), the plain Node HTTP server (`node`), or `auto` (uws when the native module loads).',
    example: 'auto',
  }),
  HUB_PRESENCE_TTL_MS: envVar(z.coerce.number().int().min(1000).max(600_000).default(20_000), {
    description: 'A presence entry not refreshed for this long disappears (bounds how long a crashed node’s sockets stay listed).',
    example: '20000',
  }),
  HUB_HEARTBEAT_MS: envVar(z.coerce.number().int().min(200).max(60_000).default(5_000), {
    description: 'How often each hub node refreshes presence for its open sockets (must be well below HUB_PRESENCE_TTL_MS).',
    example: '5000',
  }),
});

/** Validated hub settings. */
export type RealtimeEnv = z.output<typeof realtimeEnvSchema>;
