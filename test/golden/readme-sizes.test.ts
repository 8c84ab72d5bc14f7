/**
 * The user-data sizes the README quotes, computed here from the example profiles with a real
 * RSA state (test/fixtures/pki/state-rsa, TEST ONLY keys: real keys have the same sizes), so the
 * README's figures cannot go stale: a difference fails, and `npm run golden:update` rewrites the
 * README's table. Also the platform limits the README quotes, against plan/platforms.ts.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { MAX_EXTENT } from '../../src/emit/iso/index.js';
import { PLATFORM_FACTS } from '../../src/plan/platforms.js';
import { RSS_LIMIT_MIB } from '../emit/iso/limits.js';
import { renderNodeOutputs } from '../../src/render/node.js';
import { gzipUserData } from '../../src/render/platforms.js';
import { flatcarText, planWithFixtureState, REPO } from '../builders/fixture-state.js';
import { EXAMPLE_PROFILES } from '../builders/plan.js';

const README = join(REPO, 'README.md');
const UPDATE = process.env.KUBESEED_UPDATE_GOLDEN === '1';
const BEGIN = '<!-- user-data sizes: written by test/golden/readme-sizes.test.ts (npm run golden:update) -->';
const END = '<!-- end of user-data sizes -->';

const bytes = (c: string | Uint8Array) => (typeof c === 'string' ? Buffer.byteLength(c) : c.byteLength);
const n = (x: number) => x.toLocaleString('en-US');

interface NodeSizes {
  profile: string;
  node: string;
  role: string;
  raw: number;
  gzip: number;
  ec2Gzip: number;
  ignition: number;
}

function exampleSizes(): NodeSizes[] {
  return EXAMPLE_PROFILES.flatMap((file) => {
    const text = readFileSync(join(REPO, file), 'utf8');
    const [plain, ec2, flatcar] = [planWithFixtureState(text), planWithFixtureState(text, { platform: 'ec2' }), planWithFixtureState(flatcarText(file))];
    return plain.nodes.map((node, i) => {
      const userData = renderNodeOutputs(plain, node)[0]!.content;
      const compact = renderNodeOutputs(ec2, ec2.nodes[i]!)[0]!.content;
      const ignition = renderNodeOutputs(flatcar, flatcar.nodes[i]!)[0]!.content;
      return { profile: file, node: node.name, role: node.role, raw: bytes(userData), gzip: gzipUserData(userData).byteLength, ec2Gzip: gzipUserData(compact).byteLength, ignition: bytes(ignition) };
    });
  });
}

function table(rows: readonly NodeSizes[]): string {
  return [
    BEGIN,
    '| profile | node | `user-data` | gzipped (`--gzip`) | `--platform ec2 --gzip` | Flatcar `ignition.json` |',
    '|---|---|--:|--:|--:|--:|',
    ...rows.map((r) => `| \`${r.profile}\` | ${r.node} (${r.role}) | ${n(r.raw)} | ${n(r.gzip)} | ${n(r.ec2Gzip)} | ${n(r.ignition)} |`),
    END,
  ].join('\n');
}

describe('README', () => {
  const rows = exampleSizes();

  it('quotes the user-data sizes of every example node as the code renders them', () => {
    const quoted = (readme: string) => readme.slice(readme.indexOf(BEGIN), readme.indexOf(END) + END.length);
    const readme = readFileSync(README, 'utf8');
    expect(readme.indexOf(BEGIN), `README.md has no table starting with ${BEGIN}`).toBeGreaterThan(0);
    const want = table(rows);
    if (UPDATE) writeFileSync(README, readme.replace(quoted(readme), want));
    expect(quoted(readFileSync(README, 'utf8'))).toBe(want);
  });

  it('says that no example node fits EC2 with --platform ec2 --gzip and workers come within 2 KiB, and so it is', () => {
    const limit = PLATFORM_FACTS.ec2.limit!;
    for (const r of rows) {
      expect(r.ec2Gzip, `${r.profile} ${r.node}`).toBeGreaterThan(limit);
      if (r.role !== 'control-plane') expect(r.ec2Gzip, `${r.profile} ${r.node}`).toBeLessThanOrEqual(limit + 2048);
    }
    const readme = readFileSync(README, 'utf8').replace(/\s+/g, ' ');
    expect(readme).toContain('with `--gzip` no node of the example profiles fits EC2: workers come within 2 KiB of it');
    // And no example node's ignition.json fits.
    for (const r of rows) expect(r.ignition, `${r.profile} ${r.node}`).toBeGreaterThan(limit);
    expect(readme).toContain(`larger than EC2's ${limit / 1024} KiB for every example node`);
  });

  it('quotes the ISO writer\'s limits the code and tests hold', () => {
    const readme = readFileSync(README, 'utf8').replace(/\s+/g, ' ');
    expect(MAX_EXTENT).toBe(4 * 1024 ** 3 - 2 * 1024);
    expect(readme).toContain('a single ISO 9660 extent holds at most 4 GiB − 2 KiB');
    expect(readme).toContain(`a test writes a 1 GiB file with a peak RSS under ${RSS_LIMIT_MIB} MiB`);
  });

  it('quotes the platform limits the compiler checks', () => {
    const readme = readFileSync(README, 'utf8').replace(/\s+/g, ' ');
    expect(readme).toContain(`EC2 ${n(PLATFORM_FACTS.ec2.limit!)} bytes`);
    expect(readme).toContain(`OpenStack Nova ${n(PLATFORM_FACTS.openstack.limit!)} bytes base64-encoded`);
    expect(readme).toContain(`vSphere guestinfo ${PLATFORM_FACTS.vsphere.limit! / 1024} KiB base64-encoded`);
  });
});
