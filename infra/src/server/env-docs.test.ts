import fs from 'node:fs';
import path from 'node:path';
import { aiEnvSchema } from '@switchboard/ai/env';
import { apiEnvSchema } from '@switchboard/api/env';
import { describeEnv } from '@switchboard/api/lib/config';
import { realtimeEnvSchema } from '@switchboard/realtime/env';
import { searchEnvSchema } from '@switchboard/search/env';
import { workersEnvSchema } from '@switchboard/workers/env';
import { describe, expect, it } from 'vitest';
import { repoRoot } from '../services/paths.ts';
import { processEnvSchema } from './env.ts';

describe('configuration docs', () => {
  const readme = fs.readFileSync(path.join(repoRoot, 'README.md'), 'utf8');
  const schemas = {
    process: processEnvSchema,
    api: apiEnvSchema,
    realtime: realtimeEnvSchema,
    workers: workersEnvSchema,
    search: searchEnvSchema,
    ai: aiEnvSchema,
  };

  it.each(Object.entries(schemas))('README documents every %s variable, with a description and an example in code', (_name, schema) => {
    for (const variable of describeEnv(schema)) {
      expect(readme, `README.md is missing ${variable.name}`).toMatch(new RegExp(`\\| \`${variable.name}\` +\\|`));
      expect(variable.description, variable.name).not.toBe('');
      expect(variable.example, variable.name).not.toBe('');
    }
  });
});
