import { expect, it } from 'vitest';
import { needTools } from '../helpers/tools.js';
import { benchSmoke, SMOKE_TIMEOUT } from './run-section.js';

it('npm run bench -- iso --smoke prints each writer\'s figures and kubeseed\'s ratios to genisoimage and xorriso', (ctx) => {
  needTools(ctx, 'genisoimage:genisoimage', 'xorriso:xorriso');
  const out = benchSmoke('iso');
  expect(out).toMatch(/^\/\S+ \(\w+\), 8 files, 2 MiB:$/m);
  const figures = String.raw`wall [\d.]+ \([\d.]+-[\d.]+\) s, \d+ MB/s, CPU [\d.]+ \([\d.]+-[\d.]+\) s, image \d+ B`;
  expect(out).toMatch(new RegExp(`^  kubeseed +${figures}, peak RSS [\\d.]+ MiB$`, 'm'));
  for (const tool of ['genisoimage', 'xorriso']) {
    expect(out).toMatch(new RegExp(`^  ${tool} +${figures}$`, 'm'));
    expect(out).toMatch(new RegExp(String.raw`^  kubeseed/${tool} throughput ratio: [\d.]+ \([\d.]+-[\d.]+\) \(target >= 1\.[03]: (met|NOT met)\)$`, 'm'));
  }
  expect(out).toMatch(/^ {2}node start-up alone \(node -e ''\): wall [\d.]+ /m);
}, SMOKE_TIMEOUT);
