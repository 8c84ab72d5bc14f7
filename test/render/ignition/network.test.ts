/** The static-address files, exactly, for each network daemon. */
import { describe, expect, it } from 'vitest';
import { networkFiles } from '../../../src/render/ignition/network.js';
import { renderUnit } from '../../../src/render/ignition/units.js';
import { switchedPlan } from './switch.js';

const text = (c: string | Uint8Array) => String(c);

describe('networkFiles', () => {
  it('Flatcar: a networkd .network bound to the MAC, and a .link naming the NIC', () => {
    const plan = switchedPlan('profiles/ha.yaml', 'flatcar');
    const w1 = plan.nodes.find((n) => n.name === 'w1')!;
    const files = networkFiles(plan.os, w1);
    expect(files.map((f) => [f.path, f.mode, f.secret, text(f.content)])).toEqual([
      ['/etc/systemd/network/10-eth0.link', 0o644, false, '[Match]\nMACAddress=52:54:00:00:10:21\n\n[Link]\nName=eth0\n'],
      ['/etc/systemd/network/10-eth0.network', 0o644, false,
        '[Match]\nMACAddress=52:54:00:00:10:21\n\n[Network]\nAddress=192.168.10.21/24\nGateway=192.168.10.1\nDNS=192.168.10.1\nDomains=example.internal\n'],
    ]);
  });

  it('Fedora CoreOS: a NetworkManager keyfile, root-only as NetworkManager demands', () => {
    const plan = switchedPlan('profiles/lab.yaml', 'fcos');
    const files = networkFiles(plan.os, plan.nodes[0]!);
    expect(files.map((f) => [f.path, f.mode, text(f.content)])).toEqual([
      ['/etc/systemd/network/10-eth0.link', 0o644, '[Match]\nMACAddress=52:54:00:00:50:10\n\n[Link]\nName=eth0\n'],
      ['/etc/NetworkManager/system-connections/eth0.nmconnection', 0o600,
        '[connection]\nid=eth0\ntype=ethernet\nautoconnect=true\n\n[ethernet]\nmac-address=52:54:00:00:50:10\n\n'
        + '[ipv4]\nmethod=manual\naddress1=192.168.50.10/24,192.168.50.1\ndns=192.168.50.1;\nmay-fail=false\n\n[ipv6]\nmethod=ignore\n'],
    ]);
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
