import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    exclude: ['test/e2e/**', 'node_modules/**'],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    pool: 'forks',
    // A test file that writes a golden file fails (test/golden-guard.ts, test/golden-check.ts).
    globalSetup: ['test/golden-guard.ts'],
    setupFiles: ['test/golden-check.ts'],
  },
});
