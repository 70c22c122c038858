import { envTypes, envVar } from '@switchboard/api/lib/config';
import { z } from 'zod';

/** Settings of the worker processes. */
export const workersEnvSchema = z.object({
  REDIS_URL: envVar(envTypes.url(['redis', 'rediss']), {
    description: 'Redis holding the bull queues. `npm start` provisions one when unset.',
    example: 'redis://127.0.0.1:6379',
  }),
  QUEUE_PREFIX: envVar(
    z
      .string()
      .regex(/^[a-z0-9_-]{1,32}$/)
      .default('switchboard'),
    {
      description: 'Key prefix of every bull queue in Redis (lets several deployments share one Redis).',
      example: 'switchboard',
    },
  ),
});

/** Validated worker settings. */
export type WorkersEnv = z.output<typeof workersEnvSchema>;
