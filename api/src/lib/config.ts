import { z } from 'zod';

/**
 * Thrown at boot when a setting is missing or malformed. The message names every bad
 * variable with what it should look like, so a person can fix it without reading code.
 */
export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

/** Metadata every config variable carries: what it means and a value that would work. */
export interface EnvVarMeta {
  description: string;
  example: string;
}

/** Attaches description + example to a config variable's schema (shown on errors and in docs). */
export function envVar<T extends z.ZodType>(schema: T, meta: EnvVarMeta): T {
  return schema.meta(meta as unknown as Record<string, unknown>) as T;
}

function metaOf(schema: z.ZodType): EnvVarMeta | undefined {
  const meta = schema.meta() as Partial<EnvVarMeta> | undefined;
  return meta?.example ? (meta as EnvVarMeta) : undefined;
}

/**
 * Validates `env` against an object schema of variables. Empty strings count as unset,
 * so `FOO=` in a shell behaves like no FOO at all.
 */
export function parseEnv<S extends z.ZodObject>(
  schema: S,
  env: NodeJS.ProcessEnv | Record<string, string | undefined> = process.env,
): z.output<S> {
  const input: Record<string, string | undefined> = {};
  for (const key of Object.keys(schema.shape)) {
    const value = env[key];
    input[key] = value === '' ? undefined : value;
  }
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  const problems = result.error.issues.map((issue) => {
    const key = String(issue.path[0] ?? '?');
    const field = schema.shape[key] as z.ZodType | undefined;
    const meta = field ? metaOf(field) : undefined;
    const got = input[key] === undefined ? 'it is not set' : `got ${JSON.stringify(input[key])}`;
    return `${key}: ${issue.message} (${got})${meta ? `; e.g. ${key}=${meta.example}` : ''}`;
  });
  throw new ConfigError(problems);
}

/** Lists variables with their description and example, for docs and `--help`. */
export function describeEnv(schema: z.ZodObject): Array<{ name: string } & EnvVarMeta> {
  return Object.entries(schema.shape).map(([name, field]) => ({
    name,
    ...(metaOf(field as z.ZodType) ?? { description: '', example: '' }),
  }));
}

/** Reusable field types. */
export const envTypes = {
  port: () => z.coerce.number().int().min(1).max(65535),
  bool: () => z.enum(['true', 'false', '1', '0', 'yes', 'no']).transform((v) => v === 'true' || v === '1' || v === 'yes'),
  url: (protocols: string[]) =>
    z.string().refine(
      (value) => {
        try {
          return protocols.includes(new URL(value).protocol.replace(/:$/, ''));
        } catch {
          return false;
        }
      },
      { message: `must be a URL starting with ${protocols.map((p) => `${p}://`).join(' or ')}` },
    ),
};
