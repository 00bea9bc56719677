// `npm run screenshots`: renders every page of the web client into docs/screenshots/.
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/web/screenshots.shots.ts'],
    globalSetup: ['test/support/global-setup.ts'],
    testTimeout: 120_000,
    hookTimeout: 120_000,
  },
});
