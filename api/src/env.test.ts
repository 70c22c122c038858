import { describe, expect, it } from 'vitest';
import { apiEnvSchema } from './env.ts';
import { ConfigError, parseEnv } from './lib/config.ts';

const base = { REDIS_URL: 'redis://127.0.0.1:6379' };

// Found by the deployment checks (infra/src/deploy): the Kubernetes Secret's replica-set
// seed list was refused at boot, because it is no WHATWG URL.
describe('MONGODB_URI', () => {
  it.each([
    'mongodb://127.0.0.1:27017/switchboard',
    'mongodb://user:p%40ss@mongo-0.db:27017,mongo-1.db:27017,mongo-2.db:27017/switchboard?replicaSet=rs0&authSource=admin',
    'mongodb+srv://user:secret@cluster0.example.net/switchboard?retryWrites=true',
  ])('accepts %s', (uri) => {
    expect(parseEnv(apiEnvSchema, { ...base, MONGODB_URI: uri }).MONGODB_URI).toBe(uri);
  });

  it.each(['http://127.0.0.1:27017/switchboard', 'mongodb://', 'not a uri'])('refuses %s with a clear message', (uri) => {
    expect(() => parseEnv(apiEnvSchema, { ...base, MONGODB_URI: uri })).toThrow(ConfigError);
    expect(() => parseEnv(apiEnvSchema, { ...base, MONGODB_URI: uri })).toThrow(
      /MONGODB_URI: must be a URL starting with mongodb:\/\/ or mongodb\+srv:\/\//,
    );
  });
});
