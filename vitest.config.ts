import { tmpdir } from 'node:os';
import { join } from 'node:path';
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
    // Hermetic: compile downloads nothing, and no file a real kubeseed bundle cached in
    // ~/.cache/kubeseed changes what the tests compile. Tests that download or cache say so.
    env: { KUBESEED_OFFLINE: '1', KUBESEED_CACHE: join(tmpdir(), 'kubeseed-test-no-cache') },
  },
});
