import { defineConfig } from 'vitest/config';

const globalSetup = ['infra/src/testing/global-setup.ts'];

/** One project per package (unit + package integration) and one for cross-package suites. */
const pkg = (name: string, extra: Record<string, unknown> = {}) => ({
  test: {
    name,
    root: '.',
    include: [`${name}/src/**/*.test.ts`],
    environment: 'node',
    globalSetup,
    testTimeout: 20_000,
    hookTimeout: 60_000,
    ...extra,
  },
});

export default defineConfig({
  test: {
    projects: [
      pkg('infra'),
      pkg('api'),
      pkg('realtime'),
      pkg('workers'),
      pkg('search'),
      pkg('ai'),
      pkg('web', { globalSetup: [] }),
      {
        test: {
          name: 'integration',
          root: '.',
          include: ['tests/integration/**/*.test.ts'],
          environment: 'node',
          globalSetup,
          testTimeout: 60_000,
          hookTimeout: 120_000,
        },
      },
      {
        test: {
          name: 'e2e',
          root: '.',
          include: ['tests/e2e/**/*.test.ts'],
          environment: 'node',
          globalSetup: [...globalSetup, 'tests/src/chromium-setup.ts'],
          testTimeout: 60_000,
          hookTimeout: 120_000,
          fileParallelism: false,
        },
      },
    ],
  },
});
