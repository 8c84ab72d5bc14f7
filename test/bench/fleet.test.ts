import { expect, it } from 'vitest';
import { benchSmoke, SMOKE_TIMEOUT } from './run-section.js';

it('npm run bench -- fleet --smoke compiles seed ISOs with a bundle twice and prints time, bytes written and the ISOs', () => {
  const out = benchSmoke('fleet');
  expect(out).toMatch(/^bench-fleet: compile --iso, artifacts\.source bundle, bundle tar [\d.]+ MiB, --out on \S+ \(\w+\)/m);
  // Both layouts, each compiled twice: seeds carrying the bundle (no other ISO), then small seeds
  // beside the bundle medium.
  const [seed, shared] = out.split(/^spec\.artifacts\.bundleMedium: shared$/m);
  expect(seed).toMatch(/^spec\.artifacts\.bundleMedium: seed$/m);
  for (const [layout, others] of [[seed, 'none'], [shared, String.raw`fleet\.bundle/bundle\.iso [\d.]+ MiB`]] as const) {
    for (const run of ['first compile', 're-compile']) {
      expect(layout).toMatch(new RegExp(String.raw`^  3 nodes, ${run}: wall [\d.]+ s, wrote [\d.]+ [MG]iB, peak RSS \d+ MiB; 3 seed ISOs, [\d.]+ [MG]iB in all, largest [\d.]+ [MG]iB; other ISOs: ${others}$`, 'm'));
    }
  }
}, SMOKE_TIMEOUT);
