/**
 * vitest setupFiles: after each test file, the golden files are as they were when the run began
 * (fingerprint from test/golden-guard.ts); otherwise that file fails, naming what changed.
 */
import { afterAll, inject } from 'vitest';
import { goldenChanges, goldenFingerprint, goldenMessage } from './golden-guard.js';

afterAll(() => {
  const before = inject('goldenFingerprint');
  if (before === undefined) return; // npm run golden:update
  const changes = goldenChanges(before, goldenFingerprint(process.cwd()));
  if (changes.length > 0) throw new Error(goldenMessage(changes));
});
