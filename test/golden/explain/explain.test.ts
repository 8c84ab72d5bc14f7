/**
 * `kubeseed explain` output for every example profile, whole-file golden (placeholder secrets,
 * so the CA hash is fixed). `npm run golden:update` rewrites the files.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { explainText } from '../../../src/cli/commands/explain.js';
import { EXAMPLE_PROFILES, planFromFile } from '../../builders/plan.js';
import { cli } from '../../helpers/cli.js';

const UPDATE = process.env.KUBESEED_UPDATE_GOLDEN === '1';

describe.each(EXAMPLE_PROFILES)('explain %s', (profile) => {
  it('matches its golden file', () => {
    const golden = join(import.meta.dirname, `${basename(profile, '.yaml')}.txt`);
    const text = explainText(planFromFile(profile));
    if (UPDATE) writeFileSync(golden, text);
    expect(existsSync(golden), `missing ${golden}: run npm run golden:update and review it`).toBe(true);
    expect(text).toBe(readFileSync(golden, 'utf8'));
  });
});

describe('kubeseed explain', () => {
  it('--node shows one node and never creates state', async () => {
    const r = await cli('explain', 'profiles/ha.yaml', '--node', 'w1', '--out', '/nonexistent/kubeseed-out');
    expect(r.code).toBe(0);
    expect(r.out.match(/^node /gm)).toEqual(['node ']);
    expect(r.err).toBe('note: no state in /nonexistent/kubeseed-out/ha.state yet; compile creates it\n');
    expect(existsSync('/nonexistent/kubeseed-out')).toBe(false);
  });

  it('an unknown node is bad input', async () => {
    const r = await cli('explain', 'profiles/ha.yaml', '--node', 'nope');
    expect(r.code).toBe(2);
  });
});
