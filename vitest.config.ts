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
      pkg('web', { globalSetup: [], include: ['web/src/**/*.test.ts', 'web/widget/**/*.test.ts'] }),
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
      {
        test: {
          // Hostile input against a real server: schemathesis (REST) and fast-check (sockets).
          name: 'fuzz',
          root: '.',
          include: ['tests/fuzz/**/*.test.ts'],
          environment: 'node',
          globalSetup,
          testTimeout: 300_000,
          hookTimeout: 600_000,
        },
      },
      {
        test: {
          // Faults in a multi-process cluster (tests/src/cluster.ts provisions its own Redis
          // and MongoDB-compatible server, so no global setup); one file at a time.
          name: 'chaos',
          root: '.',
          include: ['tests/chaos/**/*.test.ts'],
          environment: 'node',
          testTimeout: 180_000,
          hookTimeout: 180_000,
          fileParallelism: false,
        },
      },
    ],
  },
});
