/** The static-address files, exactly, for each network daemon; the keyfile read back by nmcli. */
import { basename } from 'node:path';
import { describe, expect, it } from 'vitest';
import { nameUuid, networkFiles } from '../../../src/render/ignition/network.js';
import { renderUnit } from '../../../src/render/ignition/units.js';
import { EXAMPLE_PROFILES } from '../../builders/plan.js';
import { needTools, run } from '../../helpers/tools.js';
import { switchedPlan } from './switch.js';

const text = (c: string | Uint8Array) => String(c);

describe('networkFiles', () => {
  it('Flatcar: a networkd .network bound to the MAC, and a .link naming the NIC', () => {
    const plan = switchedPlan('profiles/ha.yaml', 'flatcar');
    const w1 = plan.nodes.find((n) => n.name === 'w1')!;
    const files = networkFiles(plan, w1);
    expect(files.map((f) => [f.path, f.mode, f.secret, text(f.content)])).toEqual([
      ['/etc/systemd/network/10-eth0.link', 0o644, false, '[Match]\nMACAddress=52:54:00:00:10:21\n\n[Link]\nName=eth0\n'],
      ['/etc/systemd/network/10-eth0.network', 0o644, false,
        '[Match]\nMACAddress=52:54:00:00:10:21\n\n[Network]\nAddress=192.168.10.21/24\nGateway=192.168.10.1\nDNS=192.168.10.1\nDomains=example.internal\n'],
    ]);
  });

  it('Fedora CoreOS: a NetworkManager keyfile, root-only as NetworkManager demands, with a stable uuid', () => {
    const plan = switchedPlan('profiles/lab.yaml', 'fcos');
    const files = networkFiles(plan, plan.nodes[0]!);
    expect(files.map((f) => [f.path, f.mode, text(f.content)])).toEqual([
      ['/etc/systemd/network/10-eth0.link', 0o644, '[Match]\nMACAddress=52:54:00:00:50:10\n\n[Link]\nName=eth0\n'],
      ['/etc/NetworkManager/system-connections/eth0.nmconnection', 0o600,
        // uuid: Python's uuid.uuid5(uuid.NAMESPACE_URL, 'kubeseed:lab/lab1/eth0')
        '[connection]\nid=eth0\nuuid=18f6ed96-8b1a-58e8-a4cc-620052ea985b\ntype=ethernet\n\n[ethernet]\nmac-address=52:54:00:00:50:10\n\n'
        + '[ipv4]\naddress1=192.168.50.10/24,192.168.50.1\ndns=192.168.50.1;\nmay-fail=false\nmethod=manual\n\n[ipv6]\nmethod=ignore\n'],
    ]);
  });

  // nmcli --offline reads a keyfile on stdin, applies the change and prints the keyfile it would
  // store: NetworkManager's own reader and writer. A no-op change must give our file back.
  it.for(EXAMPLE_PROFILES)('NetworkManager reads every FCOS keyfile of %s and writes it back unchanged', (profile, ctx) => {
    needTools(ctx, 'nmcli:network-manager');
    const plan = switchedPlan(profile, 'fcos');
    for (const node of plan.nodes) {
      const ports = new Set(node.interfaces.flatMap((x) => (x.kind === 'ethernet' && x.bond ? [`${x.name}.nmconnection`] : [])));
      const keyfiles = networkFiles(plan, node).filter((f) => f.path.endsWith('.nmconnection'));
      expect(keyfiles).toHaveLength(node.interfaces.length);
      for (const kf of keyfiles) {
        const r = run('nmcli', ['--offline', 'connection', 'modify', 'connection.autoconnect', 'yes'], { input: kf.content });
        expect(r.stderr).toBe('');
        expect(r.status).toBe(0);
        // NetworkManager writes an empty [proxy] section on every connection but a bond's port.
        expect(r.stdout).toBe(ports.has(basename(kf.path)) ? text(kf.content) : `${text(kf.content)}\n[proxy]\n`);
      }
    }
  });
});

describe('nameUuid', () => {
  it('is RFC 4122 version 5, as Python computes it', () => {
    // uuid.uuid5(uuid.NAMESPACE_DNS, 'python.org')
    expect(nameUuid('6ba7b810-9dad-11d1-80b4-00c04fd430c8', 'python.org')).toBe('886313e1-3b8a-5372-9b90-0c9aee199e5d');
  });
});

describe('renderUnit', () => {
  it('keeps repeated keys in order', () => {
    expect(renderUnit([{ name: 'Network', entries: [['DNS', 'a'], ['DNS', 'b']] }])).toBe('[Network]\nDNS=a\nDNS=b\n');
  });
  it('refuses a value with a line break, which would smuggle in another key', () => {
    expect(() => renderUnit([{ name: 'Service', entries: [['ExecStart', '/bin/true\nUser=nobody']] }])).toThrow('line break');
  });
  it('refuses a malformed key', () => {
    expect(() => renderUnit([{ name: 'Service', entries: [['Exec Start', 'x']] }])).toThrow('not valid');
  });
});
