import { expect, it } from 'vitest';
import { benchSmoke, SMOKE_TIMEOUT } from './run-section.js';

// The smoke run builds the release itself (scripts/release.mjs, most of its time): the build is
// what this section measures beside dist/cli, and a change to it should break this test.
it('npm run bench -- release --smoke builds the single files and times them beside dist/cli', () => {
  const out = benchSmoke('release');
  const exe = `kubeseed-linux-${process.arch === 'x64' ? 'amd64' : process.arch}`;
  for (const name of [exe, 'kubeseed.mjs']) expect(out).toMatch(new RegExp(`^  ${name}: [\\d.]+ MiB \\(\\d+ bytes\\)$`, 'm'));
  expect(out).toMatch(/^ {2}--version, 1 runs each:$/m);
  expect(out).toMatch(/^ {2}compile 3 control-plane \+ 2 workers, state made, 1 runs each:$/m);
  for (const way of [exe, 'node kubeseed.mjs', 'node dist/cli/bin.js']) {
    expect(out.match(new RegExp(`^  ${way}: wall median \\d+ ms \\(min \\d+, max \\d+\\), CPU mean \\d+ ms$`, 'gm'))).toHaveLength(2);
  }
}, SMOKE_TIMEOUT);
