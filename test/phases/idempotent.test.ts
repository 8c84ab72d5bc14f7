/**
 * The preflight and os phases, run for real in a throw-away root (see throwaway-root.ts for what
 * is real and what is faked), twice: the first run prepares the fake machine, the second finds
 * everything done and changes nothing. Also: preflight stops before anything changes when the
 * machine is not the one the profile describes, a port is taken, or another runtime is present.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { planFromText } from '../builders/plan.js';
import { FAMILY_CASES } from '../golden/families.js';
import { nodeFiles } from '../../src/render/node.js';
import { needRoot, needTools, type Skippable } from '../helpers/tools.js';
import { diffSnapshots, removeThrowawayRoots, ThrowawayRoot, netOf, type FakeMachine, type FakeNet } from './throwaway-root.js';
import { switchedPlan } from '../render/ignition/switch.js';

afterAll(removeThrowawayRoots);

const PHASES = ['KS_PHASE=preflight bash /usr/local/lib/kubeseed/phases/preflight.sh', 'KS_PHASE=os bash /usr/local/lib/kubeseed/phases/os.sh'];

/** Runs only where namespaces, overlayfs and chroot are allowed (root on Linux). */
function needRootTools(ctx: Skippable, ...more: readonly `${string}:${string}`[]): void {
  needTools(ctx, 'unshare:util-linux', 'chroot:coreutils', 'ss:iproute2', ...more);
  needRoot(ctx, 'the throw-away root test');
}

const DEBIAN_CHRONY = [
  'pool 2.debian.pool.ntp.org iburst',
  'keyfile /etc/chrony/chrony.keys',
  'driftfile /var/lib/chrony/chrony.drift',
  'confdir /etc/chrony/conf.d',
  'sourcedir /run/chrony-dhcp',
  'sourcedir /etc/chrony/sources.d',
  'makestep 1 3',
  '',
].join('\n');

const RHEL_CHRONY = ['pool 2.rocky.pool.ntp.org iburst', 'sourcedir /run/chrony-dhcp', 'driftfile /var/lib/chrony/drift', 'makestep 1.0 3', ''].join('\n');

/** Debian alternatives for the four tools, nft preferred, as a fresh Debian/Ubuntu image has them. */
const ALTERNATIVES_SETUP = ['iptables', 'ip6tables', 'arptables', 'ebtables'].flatMap((t) => [
  `printf '#!/bin/sh\\n' >/usr/sbin/${t}-legacy && printf '#!/bin/sh\\n' >/usr/sbin/${t}-nft && chmod 755 /usr/sbin/${t}-legacy /usr/sbin/${t}-nft`,
  `update-alternatives --quiet --install /usr/sbin/${t} ${t} /usr/sbin/${t}-nft 20 && update-alternatives --quiet --install /usr/sbin/${t} ${t} /usr/sbin/${t}-legacy 10`,
]);

interface Case {
  readonly id: string;
  readonly machine: (mac: string, uuid: string, net: FakeNet) => FakeMachine;
  readonly setup: readonly string[];
}

const CASES: readonly Case[] = [
  {
    id: 'ubuntu-22.04',
    machine: (mac, uuid, net) => ({
      macs: { eth0: mac, lo: '00:00:00:00:00:00' }, productUuid: uuid, packageManager: 'apt',
      // socat is missing: the os phase leaves it alone (the artifacts phase, before it, installs packages).
      installed: ['conntrack', 'ebtables', 'ethtool', 'ipvsadm', 'chrony'],
      files: { '/etc/chrony/chrony.conf': DEBIAN_CHRONY, '/etc/chrony/sources.d/.keep': '' }, selinux: '', net,
    }),
    setup: ALTERNATIVES_SETUP,
  },
  {
    id: 'rocky-9',
    machine: (mac, uuid, net) => ({
      macs: { eth0: mac, lo: '00:00:00:00:00:00' }, productUuid: uuid, packageManager: 'dnf',
      installed: ['conntrack', 'ebtables', 'ethtool', 'ipvsadm', 'chrony'],
      files: { '/etc/chrony.conf': RHEL_CHRONY, '/etc/selinux/config': 'SELINUX=enforcing\nSELINUXTYPE=targeted\n' },
      selinux: 'Enforcing', net,
    }),
    setup: [],
  },
];

describe.each(CASES)('preflight and os phases of $id in a throw-away root', ({ id, machine, setup }) => {
  const plan = planFromText(FAMILY_CASES.find((c) => c.id === id)!.text);
  const node = plan.nodes.find((n) => n.name === 'cp1')!;
  const files = nodeFiles(plan, node);

  it("a worker's os phase adds the worker's own line to the kubeseed hosts block", (ctx) => {
    needRootTools(ctx);
    const w1 = plan.nodes.find((n) => n.name === 'w1')!;
    const root = new ThrowawayRoot(nodeFiles(plan, w1), machine(w1.mac, w1.productUuid ?? '4c4c4544-0000-0000-0000-000000000001', netOf(w1)));
    const r = root.run([...setup, ...PHASES]);
    expect(r.status, r.stdout + r.stderr).toBe(0);
    const lines = root.read('/etc/hosts').split('\n');
    expect(lines.slice(lines.indexOf('# BEGIN kubeseed hosts'), lines.indexOf('# END kubeseed hosts') + 1)).toEqual([
      '# BEGIN kubeseed hosts', ...plan.hosts.map((h) => `${h.ip} ${h.names.join(' ')}`), `${w1.ip} w1`, '# END kubeseed hosts',
    ]);
  });

  it('the second run changes nothing', (ctx) => {
    needRootTools(ctx);
    const root = new ThrowawayRoot(files, machine(node.mac, node.productUuid!, netOf(node)));
    const first = root.run([...setup, ...PHASES]);
    expect(first.status, first.stdout + first.stderr).toBe(0);
    const afterFirst = root.snapshot();
    const callsFirst = root.calls();
    const second = root.run(PHASES);
    expect(second.status, second.stdout + second.stderr).toBe(0);
    expect(diffSnapshots(afterFirst, root.snapshot())).toEqual([]);
    const callsSecond = root.calls().slice(callsFirst.length);

    // What run 1 did to the fake machine.
    expect(root.read('/etc/fstab')).toBe('UUID=0a0b / ext4 defaults 0 1\n#kubeseed-swap-off# /swap.img none swap sw 0 0\n');
    expect(root.read('/proc/swaps').split('\n').filter(Boolean)).toHaveLength(1);
    for (const key of ['net/bridge/bridge-nf-call-iptables', 'net/bridge/bridge-nf-call-ip6tables', 'net/ipv4/ip_forward']) {
      expect(root.read(`/proc/sys/${key}`)).toBe('1\n');
    }
    expect(root.read('/etc/hosts')).toBe([
      '127.0.0.1 localhost',
      '# BEGIN kubeseed hosts', '192.168.10.11 cp1', '# END kubeseed hosts',
      '# BEGIN kubeseed endpoint', '192.168.10.11 apiserver.cluster.local', '# END kubeseed endpoint', '',
    ].join('\n'));
    const modprobes = callsFirst.filter((c) => c.startsWith('modprobe ')).map((c) => c.slice(9));
    expect(modprobes).toEqual(['overlay', 'br_netfilter', 'ip_vs', 'ip_vs_rr', 'ip_vs_wrr', 'ip_vs_sh', 'nf_conntrack']);
    expect(callsFirst).toContain('swapoff -a');

    if (id === 'ubuntu-22.04') {
      expect(callsFirst.filter((c) => c.startsWith('apt-get'))).toEqual([]);
      for (const t of ['iptables', 'ip6tables', 'arptables', 'ebtables']) {
        expect(root.run([`update-alternatives --query ${t} | sed -n 's/^Value: //p'`]).stdout).toBe(`/usr/sbin/${t}-legacy\n`);
      }
      // The role's ports, then the pod network's (flannel by default: VXLAN on 8472/udp).
      expect(root.read('/fake/state/ufw')).toBe('6443/tcp\n2379:2380/tcp\n10250/tcp\n10257/tcp\n10259/tcp\n8472/udp\n');
      expect(root.read('/etc/chrony/sources.d/kubeseed.sources')).toBe('server ntp1.example.internal iburst\nserver 10.0.0.123 iburst\n');
      expect(root.read('/etc/chrony/chrony.conf')).toBe(DEBIAN_CHRONY.replace('pool 2.debian', '#kubeseed-off# pool 2.debian'));
      expect(callsFirst.filter((c) => c.startsWith('systemctl'))).toEqual(['systemctl enable chrony', 'systemctl restart chrony']);
    } else {
      expect(callsFirst.filter((c) => c.startsWith('dnf') || c.startsWith('rpm'))).toEqual([]);
      expect(root.read('/etc/selinux/config')).toBe('SELINUX=permissive\nSELINUXTYPE=targeted\n');
      expect(root.read('/fake/state/selinux')).toBe('Permissive\n');
      expect(callsFirst).toContain('setenforce 0');
      expect(root.read('/fake/state/firewalld')).toBe('6443/tcp\n2379-2380/tcp\n10250/tcp\n10257/tcp\n10259/tcp\n8472/udp\n');
      expect(callsFirst.filter((c) => c === 'firewall-cmd --reload')).toHaveLength(1);
      expect(root.read('/etc/chrony.conf')).toBe(`${RHEL_CHRONY.replace('pool 2.rocky', '#kubeseed-off# pool 2.rocky')}# BEGIN kubeseed ntp\nserver ntp1.example.internal iburst\n# END kubeseed ntp\n`);
      expect(callsFirst.filter((c) => c.startsWith('systemctl'))).toEqual(['systemctl enable chronyd', 'systemctl restart chronyd']);
    }

    // Run 2 only looked: no swapoff, no package install, no SELinux or firewall change, no restart.
    const acting = callsSecond.filter((c) => !/^(modprobe|getenforce|hostnamectl|rpm -q --whatprovides|ufw (status|allow)|firewall-cmd (--state|--permanent --query-port=))/.test(c));
    expect(acting).toEqual([]);
  });

  it('stops before any change when no interface has the profile\'s MAC, naming the node', (ctx) => {
    needRootTools(ctx);
    const root = new ThrowawayRoot(files, machine('52:54:00:99:99:99', node.productUuid!, netOf(node)));
    const before = root.snapshot();
    const r = root.run(PHASES);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/\[preflight\] FATAL: no interface has MAC 52:54:00:00:10:11: this user-data is for node cp1 \(MAC 52:54:00:00:10:11\) and this machine has 00:00:00:00:00:00 52:54:00:99:99:99\n$/);
    expect(diffSnapshots(before, root.snapshot())).toEqual([]);
  });

  it('stops when the product_uuid differs from the inventory', (ctx) => {
    needRootTools(ctx);
    const root = new ThrowawayRoot(files, machine(node.mac, '4c4c4544-0031-3210-8052-b4c04f999999', netOf(node)));
    const r = root.run(PHASES);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/FATAL: product_uuid is 4c4c4544-0031-3210-8052-b4c04f999999 but the profile records 4c4c4544-0031-3210-8052-b4c04f000111 for node cp1\n$/);
  });

  it('stops when a port kubeadm needs is taken', (ctx) => {
    needRootTools(ctx, 'python3:python3');
    const root = new ThrowawayRoot(files, machine(node.mac, node.productUuid!, netOf(node)));
    // A real listener on 10250 inside the test's own network namespace.
    const listen = "/usr/bin/python3 -c 'import socket,time; s=socket.socket(); s.bind((\"0.0.0.0\", 10250)); s.listen(); time.sleep(20)' & sleep 0.5";
    const r = root.run(PHASES, listen);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/FATAL: TCP ports 10250 are already in use; kubeadm needs 6443 2379 2380 10250 10257 10259 free on node cp1 \(see: ss -tlnp\)\n$/);
  });

  it('stops when another container runtime\'s socket is present', (ctx) => {
    needRootTools(ctx, 'python3:python3');
    const root = new ThrowawayRoot(files, machine(node.mac, node.productUuid!, netOf(node)));
    const sock = `${root.root}/run/crio/crio.sock`;
    const r = root.run(PHASES, `mkdir -p ${root.root}/run/crio && /usr/bin/python3 -c 'import socket; socket.socket(socket.AF_UNIX).bind("${sock}")'`);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/FATAL: CRI-O is running here \(\/var\/run\/crio\/crio.sock\): kubeseed configures containerd and kubeadm refuses to choose between runtimes; remove CRI-O or use a clean image\n$/);
  });
});

/** Flatcar's stock containerd.service and the config file it names (contents abridged: not ours). */
const FLATCAR_STOCK = {
  '/usr/lib/systemd/system/containerd.service': '[Unit]\nDescription=containerd container runtime\n\n[Service]\nExecStart=/usr/bin/containerd --config /usr/share/containerd/config.toml\n',
  '/usr/share/containerd/config.toml': 'version = 2\n[plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]\nSystemdCgroup = true\n',
};

describe('runtime phase in a throw-away root (ubuntu-22.04, containerd config version 2)', () => {
  const plan = planFromText(FAMILY_CASES.find((c) => c.id === 'ubuntu-22.04')!.text);
  const node = plan.nodes.find((n) => n.name === 'w1')!;
  const RUNTIME = 'KS_PHASE=runtime bash /usr/local/lib/kubeseed/phases/runtime.sh';
  // containerd.service as the artifacts phase installs it (kubeseed's unit: no --config).
  const unit = String(nodeFiles(plan, node).find((f) => f.path === '/etc/kubeseed/units/containerd.service')!.content);
  const machine: FakeMachine = {
    macs: { eth0: node.mac }, productUuid: '4c4c4544-0031-3210-8052-b4c04f000121', packageManager: 'apt',
    installed: [], files: { '/etc/systemd/system/containerd.service': unit }, selinux: '',
  };

  it('checks config.toml with the real containerd, restarts once, and the second run changes nothing', (ctx) => {
    needRootTools(ctx, 'containerd:containerd', 'python3:python3');
    const root = new ThrowawayRoot(nodeFiles(plan, node), machine);
    const first = root.run([RUNTIME]);
    expect(first.status, first.stdout + first.stderr).toBe(0);
    expect(root.calls()).toEqual(['systemctl daemon-reload', 'systemctl is-enabled --quiet containerd', 'systemctl enable containerd', 'systemctl restart containerd', 'systemctl show --property MainPID --value containerd']);
    const sum = root.read('/var/lib/kubeseed/containerd-config.sha256');
    expect(sum).toMatch(/^[0-9a-f]{64}\n$/);
    const afterFirst = root.snapshot();
    const n = root.calls().length;
    const second = root.run([RUNTIME]);
    expect(second.status, second.stdout + second.stderr).toBe(0);
    expect(diffSnapshots(afterFirst, root.snapshot())).toEqual([]);
    expect(root.calls().slice(n)).toEqual(['systemctl daemon-reload', 'systemctl is-enabled --quiet containerd', 'systemctl is-active --quiet containerd', 'systemctl show --property MainPID --value containerd']);
    expect(second.stderr).toMatch(/\[runtime\] containerd \(pid 4242\) runs with \/etc\/containerd\/config.toml\n.*\[runtime\] containerd ready on \/run\/containerd\/containerd.sock; sandbox image registry.k8s.io\/pause:3.10; kubelet cgroup driver systemd/);
  });

  it('a changed config.toml restarts containerd again', (ctx) => {
    needRootTools(ctx, 'containerd:containerd', 'python3:python3');
    const root = new ThrowawayRoot(nodeFiles(plan, node), machine);
    expect(root.run([RUNTIME]).status).toBe(0);
    const n = root.calls().length;
    const r = root.run(["sed -i 's#pause:3.10#pause:3.9#' /etc/containerd/config.toml", RUNTIME]);
    expect(r.status, r.stderr).toBe(0);
    expect(root.calls().slice(n)).toContain('systemctl restart containerd');
  });

  it('a containerd.service that starts containerd with a config file of its own stops the phase, naming it', (ctx) => {
    needRootTools(ctx, 'containerd:containerd', 'python3:python3');
    const root = new ThrowawayRoot(nodeFiles(plan, node), { ...machine, files: FLATCAR_STOCK });
    const r = root.run([RUNTIME]);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/FATAL: the running containerd \(pid 4242: \/usr\/bin\/containerd --config \/usr\/share\/containerd\/config.toml\) reads \/usr\/share\/containerd\/config.toml, not \/etc\/containerd\/config.toml\n$/);
  });

  it('a config.toml containerd reads without SystemdCgroup stops the phase before any restart', (ctx) => {
    needRootTools(ctx, 'containerd:containerd');
    const root = new ThrowawayRoot(nodeFiles(plan, node), machine);
    const r = root.run(["sed -i 's/SystemdCgroup = true/SystemdCgroup = false/' /etc/containerd/config.toml", RUNTIME]);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/FATAL: containerd does not read SystemdCgroup = true from \/etc\/containerd\/config.toml\n$/);
    expect(root.calls()).toEqual([]);
  });
});

describe('runtime phase in a throw-away root (Flatcar, its own containerd.service)', () => {
  const plan = switchedPlan('profiles/lab.yaml', 'flatcar');
  const node = plan.nodes[0]!;
  const machine: FakeMachine = {
    macs: { eth0: node.mac }, productUuid: '4c4c4544-0031-3210-8052-b4c04f000121', packageManager: 'apt',
    installed: [], files: FLATCAR_STOCK, selinux: '',
  };

  it('the drop-in makes containerd read /etc/containerd/config.toml, and the phase checks that it does', (ctx) => {
    needRootTools(ctx, 'containerd:containerd', 'python3:python3');
    const files = nodeFiles(plan, node);
    expect(files.find((f) => f.path === '/etc/systemd/system/containerd.service.d/10-use-custom-config.conf')?.content)
      .toBe('# kubeseed: containerd reads /etc/containerd/config.toml, not the OS\'s own configuration.\n\n[Service]\nExecStart=\nExecStart=/usr/bin/containerd\n');
    const root = new ThrowawayRoot(files, machine);
    const r = root.run([`KS_PHASE=runtime bash ${plan.os.libDir}/phases/runtime.sh`]);
    expect(r.status, r.stderr).toBe(0);
    expect(root.read('/proc/4242/cmdline')).toBe('/usr/bin/containerd\0');
    expect(r.stderr).toMatch(/\[runtime\] containerd \(pid 4242\) runs with \/etc\/containerd\/config.toml\n.*\[runtime\] containerd ready on /);
    // Without the drop-in the phase stops at once; with a later drop-in that sets ExecStart again,
    // the file is there but not in effect, and the check of the running daemon stops it.
    const bare = new ThrowawayRoot(files.filter((f) => !f.path.startsWith('/etc/systemd/system/containerd.service.d/')), machine);
    const b = bare.run([`KS_PHASE=runtime bash ${plan.os.libDir}/phases/runtime.sh`]);
    expect(b.status).toBe(1);
    expect(b.stderr).toMatch(/FATAL: \/etc\/systemd\/system\/containerd.service.d\/10-use-custom-config.conf is missing: it comes with this node's configuration; without it containerd reads the OS's own config file\n$/);
    const overridden = new ThrowawayRoot(files, { ...machine, files: { ...FLATCAR_STOCK, '/etc/systemd/system/containerd.service.d/20-site.conf': '[Service]\nExecStart=\nExecStart=/usr/bin/containerd --config /usr/share/containerd/config.toml\n' } });
    const o = overridden.run([`KS_PHASE=runtime bash ${plan.os.libDir}/phases/runtime.sh`]);
    expect(o.status).toBe(1);
    expect(o.stderr).toMatch(/FATAL: the running containerd \(pid 4242: \/usr\/bin\/containerd --config \/usr\/share\/containerd\/config.toml\) reads \/usr\/share\/containerd\/config.toml, not \/etc\/containerd\/config.toml \(is \/etc\/systemd\/system\/containerd.service.d\/10-use-custom-config.conf in effect\? systemctl cat containerd\)\n$/);
  });
});
