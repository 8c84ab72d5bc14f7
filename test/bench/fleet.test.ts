import { expect, it } from 'vitest';
import { benchSmoke, SMOKE_TIMEOUT } from './run-section.js';

it('npm run bench -- fleet --smoke compiles seed ISOs with a bundle twice and prints time, bytes written and the ISOs', () => {
  const out = benchSmoke('fleet');
  expect(out).toMatch(/^bench-fleet: compile --iso, artifacts\.source bundle, bundle tar [\d.]+ MiB, --out on \S+ \(\w+\)/m);
  for (const run of ['first compile', 're-compile']) {
    // Either layout: seeds carrying the bundle (no other ISO), or small seeds beside a bundle medium.
    expect(out).toMatch(new RegExp(String.raw`^  3 nodes, ${run}: wall [\d.]+ s, wrote [\d.]+ [MG]iB, peak RSS \d+ MiB; 3 seed ISOs, [\d.]+ [MG]iB in all, largest [\d.]+ [MG]iB; other ISOs: (none|\S+ [\d.]+ [MG]iB)`, 'm'));
  }
}, SMOKE_TIMEOUT);
