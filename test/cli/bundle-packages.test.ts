/** `kubeseed bundle` and OS packages: what the flags demand, and what --list can say without metadata. */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cli, snapshot } from '../helpers/cli.js';

describe('kubeseed bundle: OS packages', () => {
  it('--list without --os-mirror prints the package names and says that is all it can', async () => {
    const r = await cli('bundle', 'profiles/lab.yaml', '--list');
    expect(r.code).toBe(0);
    expect(r.out.split('\n').filter((l) => l.startsWith('package '))).toEqual(
      ['ca-certificates', 'conntrack', 'curl', 'ebtables', 'ethtool', 'iproute2', 'iptables', 'ipvsadm', 'kmod', 'socat'].map((n) => `package ${n} (apt, provides ${n})`),
    );
    expect(r.err).toBe('note: OS packages are listed by name only; their versions, digests and dependencies need --os-mirror URL --keyring FILE\n');
  });

  it('a bundle with OS packages needs the keyring their metadata is signed with, or --skip packages; nothing is written', async () => {
    const out = mkdtempSync(join(tmpdir(), 'kubeseed-bundle-cli-'));
    const r = await cli('bundle', 'profiles/lab.yaml', '--from', out, '--out', out);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/^kubeseed bundle: OS packages \(ca-certificates, conntrack, .*socat\) need --keyring FILE \(the ubuntu-24\.04 archive's signing keys: \/usr\/share\/keyrings\/ubuntu-archive-keyring\.gpg \(Ubuntu package ubuntu-keyring\)\) and --os-mirror URL, or --skip packages\n/);
    const m = await cli('bundle', 'profiles/lab.yaml', '--os-mirror', 'http://127.0.0.1:9/', '--out', out);
    expect(m.code).toBe(2);
    expect(m.err).toMatch(/--os-mirror needs --keyring FILE/);
    const s = await cli('bundle', 'profiles/lab.yaml', '--skip', 'packages,docs', '--out', out);
    expect(s.code).toBe(2);
    expect(s.err).toMatch(/--skip packages,docs: "docs" is not one of binaries, images, packages/);
    expect(snapshot(out)).toEqual({});
  });
});
