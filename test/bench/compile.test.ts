import { expect, it } from 'vitest';
import { benchSmoke, SMOKE_TIMEOUT } from './run-section.js';

it('npm run bench -- compile --smoke prints wall time, memory, CPU and phases of a generated cluster', () => {
  const out = benchSmoke('compile');
  expect(out).toMatch(/^compile 3 control-plane \+ 2 workers$/m);
  expect(out).toMatch(/^ {4}first compile \(also creates the state\): wall \d+ ms, peak RSS \d+ MB$/m);
  expect(out).toMatch(/^ {4}compile with state, 1 runs: wall median \d+ ms \(min \d+, max \d+\), [\d.]+ ms\/node, peak RSS \d+ MB \(max\)$/m);
  expect(out).toMatch(/^ {4}in-process phases, median ms: load profile \d+, .*render and write \d+/m);
}, SMOKE_TIMEOUT);
