import { expect, it } from 'vitest';
import { needTools } from '../helpers/tools.js';
import { benchSmoke, SMOKE_TIMEOUT } from './run-section.js';

it('npm run bench -- images --smoke pulls from a loopback registry beside skopeo copy and prints both', (ctx) => {
  needTools(ctx, 'docker-registry:docker-registry', 'skopeo:skopeo', 'htpasswd:apache2-utils', 'openssl:openssl', 'busybox:busybox-static');
  const out = benchSmoke('images');
  expect(out).not.toContain('skipped');
  expect(out).toMatch(/^kubeseed pull +: [\d.]+ s +[\d.]+ MB\/s +\(min [\d.]+ s, max [\d.]+ s\) +peak RSS [\d.]+ MB$/m);
  expect(out).toMatch(/^skopeo copy +: [\d.]+ s +[\d.]+ MB\/s/m);
  expect(out).toMatch(/^ratio skopeo\/kubeseed \(higher is better for kubeseed\): [\d.]+/m);
}, SMOKE_TIMEOUT);
