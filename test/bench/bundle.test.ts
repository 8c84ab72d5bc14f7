import { expect, it } from 'vitest';
import { needTools } from '../helpers/tools.js';
import { benchSmoke, SMOKE_TIMEOUT } from './run-section.js';

it('npm run bench -- bundle --smoke prints kubeseed bundle beside sha256sum + tar -cf and their ratio', (ctx) => {
  needTools(ctx, 'sha256sum:coreutils', 'tar:tar');
  const out = benchSmoke('bundle');
  expect(out).toMatch(/^input: 7 files, 16 MiB .*1 round\(s\)/m);
  expect(out).toMatch(/^kubeseed bundle +: wall [\d.]+ \([\d.]+-[\d.]+\) s, \d+ MB\/s \(in-process [\d.]+ .*\), tar 16\.0 MiB, peak RSS [\d.]+ MB$/m);
  expect(out).toMatch(/^sha256sum \+ tar -cf +: wall [\d.]+ \([\d.]+-[\d.]+\) s, \d+ MB\/s \(sha256sum [\d.]+ .*, tar -cf [\d.]+ .*\), tar 16\.0 MiB$/m);
  for (const how of ['in-process', 'whole process']) {
    expect(out).toMatch(new RegExp(String.raw`^ratio of throughputs, kubeseed ${how} to sha256sum \+ tar -cf: [\d.]+ \([\d.]+-[\d.]+\) \(target >= 0\.9: (met|NOT met)\)$`, 'm'));
  }
}, SMOKE_TIMEOUT);
