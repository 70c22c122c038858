import { z } from 'zod';
import { ConnectionString } from 'mongodb-connection-string-url';
import { envTypes, envVar } from './lib/config.ts';

/** True for a connection string the MongoDB driver accepts, seed lists of several hosts included. */
function isMongoUri(value: string): boolean {
  try {
    return new ConnectionString(value).hosts.length > 0;
  } catch {
    return false;
  }
}

/** Settings of the domain core and REST API. */
export const apiEnvSchema = z.object({
  // The driver's own parser: a replica set's seed list (`mongodb://a:27017,b:27017/db`) is
  // no WHATWG URL, so the generic URL check would refuse it.
  MONGODB_URI: envVar(z.string().refine(isMongoUri, { message: 'must be a URL starting with mongodb:// or mongodb+srv://' }), {
    description: 'MongoDB connection string including the database name. `npm start` provisions one when unset.',
    example: 'mongodb://127.0.0.1:27017/switchboard',
  }),
  REDIS_URL: envVar(envTypes.url(['redis', 'rediss']), {
    description:
      'Redis for rate limits, login throttling, presence, the socket.io adapter and bull queues. `npm start` provisions one when unset.',
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
  MAIL_DOMAIN: envVar(
    z
      .string()
      .toLowerCase()
      .regex(/^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*$/, 'a domain name')
      .default('localhost'),
    {
      description: 'Domain of the support addresses (support+<tenant>@MAIL_DOMAIN route inbound mail to a tenant) and of Message-IDs.',
      example: 'mail.help.example.com',
    },
  ),
  ATTACHMENT_MAX_BYTES: envVar(
    z.coerce
      .number()
      .int()
      .min(1024)
      .max(1024 * 1024 * 1024)
      .default(25 * 1024 * 1024),
    {
      description: 'Largest attachment (upload or mail attachment), in bytes.',
      example: '26214400',
    },
  ),
  ATTACHMENT_MAX_PIXELS: envVar(z.coerce.number().int().min(10_000).max(1_000_000_000).default(40_000_000), {
    description: 'Largest image (width × height × frames) that is decoded; bigger ones (decompression bombs) are refused.',
    example: '40000000',
  }),
});

/** Validated API settings. */
export type ApiEnv = z.output<typeof apiEnvSchema>;
