/** The interface set buildPlan decides per node, which every renderer writes as it is. */
import { describe, expect, it } from 'vitest';
import { planFromFile } from '../builders/plan.js';

describe('node interfaces in the plan', () => {
  it('a plain node: its NIC named `interface`, carrying the address, MTU 1500 by default and written nowhere', () => {
    const node = planFromFile('profiles/lab.yaml').nodes[0]!;
    expect({ interface: node.interface, mtu: node.mtu, interfaces: node.interfaces, nics: node.nics, mac: node.mac, origin: node.origins.mtu }).toEqual({
      interface: 'eth0',
      mtu: 1500,
      interfaces: [{ kind: 'ethernet', name: 'eth0' }],
      nics: [{ name: 'eth0', mac: '52:54:00:00:50:10' }],
      mac: '52:54:00:00:50:10',
      origin: { kind: 'default', from: 'spec.network.mtu' },
    });
  });

  it('a bond takes the cluster\'s bond settings; LACP rate and hash only where its mode uses them', () => {
    const plan = planFromFile('profiles/baremetal-bond.yaml');
    const [cp1, w1] = ['cp1', 'w1'].map((n) => plan.nodes.find((x) => x.name === n)!) as [typeof plan.nodes[number], typeof plan.nodes[number]];
    expect(cp1.interfaces).toEqual([
      { kind: 'ethernet', name: 'bond0p0', mtu: 9000, bond: 'bond0' },
      { kind: 'ethernet', name: 'bond0p1', mtu: 9000, bond: 'bond0' },
      { kind: 'bond', name: 'bond0', mtu: 9000, members: ['bond0p0', 'bond0p1'], mode: '802.3ad', miimon: 100, lacpRate: 'fast', transmitHashPolicy: 'layer3+4' },
      { kind: 'vlan', name: 'bond0.100', mtu: 9000, id: 100, link: 'bond0' },
    ]);
    expect(cp1.nics).toEqual([{ name: 'bond0p0', mac: 'b8:ca:3a:30:01:11' }, { name: 'bond0p1', mac: 'b8:ca:3a:30:02:11' }]);
    expect([cp1.interface, cp1.mtu, cp1.mac]).toEqual(['bond0.100', 9000, 'b8:ca:3a:30:01:11']);
    expect(w1.interfaces.find((x) => x.kind === 'bond')).toEqual({ kind: 'bond', name: 'bond0', mtu: 9000, members: ['bond0p0', 'bond0p1'], mode: 'active-backup', miimon: 100 });
  });

  it('a node\'s own MTU wins over the cluster\'s, and explain can say where it came from', () => {
    const w2 = planFromFile('profiles/baremetal-bond.yaml').nodes.find((x) => x.name === 'w2')!;
    expect([w2.interface, w2.mtu, w2.origins.mtu]).toEqual(['eno1.100', 1500, { kind: 'explicit', from: 'spec.nodes[4].mtu' }]);
    expect(w2.interfaces.map((x) => [x.name, x.mtu])).toEqual([['eno1', 1500], ['eno1.100', 1500]]);
  });
});
