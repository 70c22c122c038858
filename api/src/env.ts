import { z } from 'zod';
import { envTypes, envVar } from './lib/config.ts';

/** Settings of the domain core and REST API. */
export const apiEnvSchema = z.object({
  MONGODB_URI: envVar(envTypes.url(['mongodb', 'mongodb+srv']), {
    description: 'MongoDB connection string including the database name. `npm start` provisions one when unset.',
    example: 'mongodb://127.0.0.1:27017/switchboard',
  }),
  REDIS_URL: envVar(envTypes.url(['redis', 'rediss']), {
    description: 'Redis for rate limits, login throttling, presence, the socket.io adapter and bull queues. `npm start` provisions one when unset.',
    example: 'redis://127.0.0.1:6379',
  }),
  PUBLIC_URL: envVar(envTypes.url(['http', 'https']).default('http://localhost:3000'), {
    description: 'The URL people open; used for links in mails, cookie security and allowed origins.',
    example: 'https://help.example.com',
  }),
  SIGNUP_OPEN: envVar(envTypes.bool().default(true), {
    description: 'Whether anyone may create a tenant with POST /api/v1/tenants.',
    example: 'false',
  }),
  API_BODY_LIMIT_BYTES: envVar(
    z.coerce
      .number()
      .int()
      .min(1024)
      .max(50 * 1024 * 1024)
      .default(1024 * 1024),
    {
      description: 'Largest JSON request body accepted, in bytes (uploads have their own limit).',
      example: '1048576',
    },
  ),
});

/** Validated API settings. */
export type ApiEnv = z.output<typeof apiEnvSchema>;
