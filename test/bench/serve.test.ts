import { expect, it } from 'vitest';
import { needTools } from '../helpers/tools.js';
import { benchSmoke, SMOKE_TIMEOUT } from './run-section.js';

it('npm run bench -- serve --smoke prints requests per second of kubeseed serve and the static servers per endpoint', (ctx) => {
  needTools(ctx, 'wrk:wrk', 'python3:python3', 'busybox:busybox-static');
  const out = benchSmoke('serve');
  expect(out).not.toContain('skipped');
  expect(out).toMatch(/^ {2}5 machines; wrk, 1 thread, 2 connections; median of 1 runs of 1 s/m);
  const row = (server: string) => new RegExp(String.raw`^ {4}${server.replace(/[.()/]/g, '\\$&')} +\d+ requests/s \( *\d+-\d+\) +[\d.]+[KMG]?B/s`, 'gm');
  // Three endpoints; the static /netboot/ path of kubeseed serve only for the iPXE script.
  for (const server of ['kubeseed serve', 'python3 -m http.server', 'busybox httpd']) expect(out.match(row(server))).toHaveLength(3);
  expect(out.match(row('kubeseed serve (static /netboot/)'))).toHaveLength(1);
}, SMOKE_TIMEOUT);
