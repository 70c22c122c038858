import { z } from 'zod';
import { describe, expect, it } from 'vitest';
import { apiEnvSchema } from '../env.ts';
import { ConfigError, describeEnv, envTypes, envVar, parseEnv } from './config.ts';

describe('parseEnv', () => {
  it('names the missing variable and shows an example value', () => {
    const error = (() => {
      try {
        parseEnv(apiEnvSchema, {});
      } catch (e) {
        return e;
      }
    })();
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).message).toContain('MONGODB_URI');
    expect((error as ConfigError).message).toContain('it is not set');
    expect((error as ConfigError).message).toContain('e.g. MONGODB_URI=mongodb://127.0.0.1:27017/switchboard');
  });

  it('reports a malformed value with what was given', () => {
    expect(() => parseEnv(apiEnvSchema, { MONGODB_URI: 'postgres://x' })).toThrow(
      /MONGODB_URI: must be a URL starting with mongodb:\/\/.*got "postgres:\/\/x"/,
    );
  });

  it('applies defaults and coerces types', () => {
    const env = parseEnv(apiEnvSchema, {
      MONGODB_URI: 'mongodb://127.0.0.1:1/db',
      REDIS_URL: 'redis://127.0.0.1:1',
      SIGNUP_OPEN: 'no',
      API_BODY_LIMIT_BYTES: '4096',
    });
    expect(env).toMatchObject({ SIGNUP_OPEN: false, API_BODY_LIMIT_BYTES: 4096, PUBLIC_URL: 'http://localhost:3000' });
  });

  it('treats an empty string as unset', () => {
    const schema = z.object({ PORT: envVar(envTypes.port().default(3000), { description: 'p', example: '3000' }) });
    expect(parseEnv(schema, { PORT: '' })).toEqual({ PORT: 3000 });
    expect(() => parseEnv(schema, { PORT: '70000' })).toThrow(/PORT: .*got "70000".*e\.g\. PORT=3000/);
  });

  it('documents every variable with a description and an example', () => {
    for (const variable of describeEnv(apiEnvSchema)) {
      expect(variable.description, variable.name).not.toBe('');
      expect(variable.example, variable.name).not.toBe('');
    }
  });
});
