/**
 * The Release checks apt makes beyond the signature, on Releases signed here with OpenPGP.js
 * (the real-gpg repository is test/ospkg/apt.test.ts): another suite, an expired Valid-Until, an
 * index only as .xz, a component the Release does not list.
 */
import { createHash } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import * as openpgp from 'openpgp';
import { beforeAll, describe, expect, it } from 'vitest';
import { readAptRepository } from '../../src/ospkg/apt-repo.js';
import { readKeyring } from '../../src/ospkg/signature.js';
import type { RepoSource } from '../../src/ospkg/source.js';

const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');
const PACKAGES = Buffer.from('Package: hello\nVersion: 1.0\nArchitecture: amd64\nFilename: pool/hello_1.0_amd64.deb\nSize: 3\nSHA256: ' + 'a'.repeat(64) + '\n\n');

describe('apt Release checks', () => {
  let priv: openpgp.PrivateKey;
  let keys: openpgp.Key[];
  const dir = mkdtempSync(join(tmpdir(), 'kubeseed-release-'));

  beforeAll(async () => {
    const k = await openpgp.generateKey({ type: 'ecc', curve: 'curve25519Legacy', userIDs: [{ name: 'kubeseed test' }], format: 'object' });
    priv = k.privateKey;
    keys = await readKeyring(Buffer.from(k.publicKey.armor()), 'test key');
  });

  async function source(release: string, files: Record<string, Uint8Array>): Promise<RepoSource> {
    const signed = await openpgp.sign({ message: await openpgp.createCleartextMessage({ text: release }), signingKeys: priv });
    const all: Record<string, Uint8Array> = { 'dists/bookworm/InRelease': Buffer.from(signed), ...files };
    return {
      where: (p) => `mem:/${p}`,
      readSmall: async (p) => all[p] ?? null,
      fetchVerified: async (p, sum) => {
        const b = all[p];
        if (!b) return null;
        if (sha(b) !== sum) throw new Error(`digest of ${p}`);
        const f = join(dir, sum);
        writeFileSync(f, b);
        return f;
      },
    };
  }

  const release = (fields: string, index: Record<string, Uint8Array>) =>
    `${fields}SHA256:\n${Object.entries(index).map(([p, b]) => ` ${sha(b)} ${b.length} ${p}`).join('\n')}\n`;
  const gz = gzipSync(PACKAGES);
  const read = (src: RepoSource, now = new Date()) => readAptRepository(src, { suites: [{ suite: 'bookworm', components: ['main'] }], arch: 'amd64', keys, now });

  it('reads a well-formed suite', async () => {
    const src = await source(release('Suite: stable\nCodename: bookworm\nArchitectures: amd64\nComponents: main\n', { 'main/binary-amd64/Packages.gz': gz }), { 'dists/bookworm/main/binary-amd64/Packages.gz': gz });
    const r = await read(src);
    expect(r.packages.map((p) => `${p.name} ${p.version} ${p.repository}`)).toEqual(['hello 1.0 bookworm/main']);
  });

  it('refuses a Release for another suite, an expired one, an .xz-only index and a missing component', async () => {
    const other = await source(release('Suite: oldstable\nCodename: bullseye\n', { 'main/binary-amd64/Packages.gz': gz }), {});
    await expect(read(other)).rejects.toThrow('mem:/dists/bookworm/InRelease: is for suite oldstable (codename bullseye), not bookworm');
    const old = await source(release('Codename: bookworm\nValid-Until: Sat, 01 Jan 2000 00:00:00 UTC\n', { 'main/binary-amd64/Packages.gz': gz }), {});
    await expect(read(old)).rejects.toThrow('mem:/dists/bookworm/InRelease: expired (Valid-Until Sat, 01 Jan 2000 00:00:00 UTC)');
    const xz = await source(release('Codename: bookworm\n', { 'main/binary-amd64/Packages.xz': Buffer.from('xz') }), {});
    await expect(read(xz)).rejects.toThrow(/^suite bookworm: the Release lists no main\/binary-amd64\/Packages\.gz or main\/binary-amd64\/Packages \(only main\/binary-amd64\/Packages\.xz: kubeseed reads gzip or plain indices/);
    const nocomp = await source(release('Codename: bookworm\n', { 'contrib/binary-amd64/Packages.gz': gz }), {});
    await expect(read(nocomp)).rejects.toThrow(/is main a component of bookworm\?/);
  });
});
