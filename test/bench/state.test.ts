import { expect, it } from 'vitest';
import { benchSmoke, SMOKE_TIMEOUT } from './run-section.js';

it('npm run bench -- state --smoke prints the time to make the state with each key algorithm', () => {
  const out = benchSmoke('state');
  for (const alg of ['rsa', 'ecdsa']) expect(out).toMatch(new RegExp(`^  ${alg}: median \\d+ ms, min \\d+ ms, max \\d+ ms \\(1 runs\\)$`, 'm'));
}, SMOKE_TIMEOUT);
