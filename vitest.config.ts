import { defineConfig } from 'vitest/config';

// Two projects: unit tests of pure code (src/**) need no services; integration tests (test/**)
// get their own Postgres database and Redis prefix per run from the global set-up.
export default defineConfig({
  test: {
    reporters: ['default', './test/support/summary-reporter.ts'],
    projects: [
      {
        test: {
          name: 'unit',
          include: ['src/**/*.test.ts', 'test/shipped-banks.test.ts', 'test/bank-cues.test.ts'],
        },
      },
      {
        test: {
          name: 'integration',
          include: ['test/**/*.test.ts'],
          exclude: ['test/shipped-banks.test.ts', 'test/bank-cues.test.ts'],
          globalSetup: ['test/support/global-setup.ts'],
          testTimeout: 30_000,
          hookTimeout: 60_000,
        },
      },
    ],
  },
});
