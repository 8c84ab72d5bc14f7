/**
 * A throw-away root to run first-boot phases in, twice, without touching this machine.
 *
 * Real: bash, coreutils, awk, sed, grep, sysctl, update-alternatives, dpkg-query, ip and ss from
 * this machine's /usr (mounted read-only underneath an overlay, so writes land in a temporary
 * upper directory), run in fresh mount, UTS, network and PID namespaces (`unshare`) and a chroot.
 * The network namespace holds `lo` and the machine's links (real veth devices, with the machine's
 * addresses and default route; without any, a default route over `lo`), so `ip addr`, `ip route`
 * and `ss` give real answers about a private network.
 *
 * Faked, because the real thing would act on this machine's kernel or needs a booted systemd:
 * - /sys/class/net/<if>/address and /sys/class/dmi/id/product_uuid are plain files (identity);
 * - /proc/sys/... are plain files, so `sysctl --system` really writes them, and /proc/swaps is a
 *   plain file;
 * - containerd's CRI socket is made by the systemctl stub when it "restarts" containerd;
 * - modprobe, swapoff, systemctl, hostnamectl, getenforce/setenforce, ufw, firewall-cmd,
 *   apt-get, dnf and rpm are small scripts in /fake/bin (first in PATH) that log their
 *   arguments to /fake/calls.log and keep the state they would change (swap, SELinux mode,
 *   open ports, installed packages) in files, so that a second run sees the first run's effect.
 * The real kernel and services are exercised by the end-to-end VM test.
 */
import { createHash } from 'node:crypto';
import { chmodSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { NodePlan } from '../../src/plan/types.js';
import type { NodeFile } from '../../src/render/files.js';
import { shQuote } from '../../src/render/scripts/template.js';
import { run, type RunResult } from '../helpers/tools.js';

export interface FakeMachine {
  readonly macs: Readonly<Record<string, string>>;
  readonly productUuid: string;
  /** Package names the fake package database reports as installed. */
  readonly installed: readonly string[];
  readonly packageManager: 'apt' | 'dnf';
  /** Extra files of the stock image (absolute path → content). */
  readonly files: Readonly<Record<string, string>>;
  /** SELinux mode getenforce reports at start ('' when the family has none). */
  readonly selinux: '' | 'Enforcing' | 'Permissive';
  /** Real links in the namespace; absent: only `lo`, with a default route over it. */
  readonly net?: FakeNet;
}

export interface FakeNet {
  /** veth devices (each with its peer, both up) by name, with an address (CIDR) or none. */
  readonly links: readonly { readonly name: string; readonly address?: string }[];
  /** The default route; absent: none. */
  readonly defaultVia?: { readonly gateway: string; readonly dev: string };
}

/** The node's network as its renderer would have left it: the address on its NIC, the default route. */
export function netOf(node: NodePlan): FakeNet {
  return {
    links: [{ name: node.interface, address: `${node.ip}/${node.prefix}` }],
    ...(node.gateway ? { defaultVia: { gateway: node.gateway, dev: node.interface } } : {}),
  };
}

/** The namespace's network as shell commands (run before the chroot). */
function netSetup(net: FakeNet | undefined): string[] {
  if (!net) return ['ip route add default dev lo'];
  return [
    ...net.links.flatMap((l, i) => [
      `ip link add ${shQuote(l.name)} type veth peer name kspeer${i}`,
      `ip link set ${shQuote(l.name)} up`,
      `ip link set kspeer${i} up`,
      ...(l.address ? [`ip addr add ${shQuote(l.address)} dev ${shQuote(l.name)}`] : []),
    ]),
    ...(net.defaultVia ? [`ip route add default via ${shQuote(net.defaultVia.gateway)} dev ${shQuote(net.defaultVia.dev)}`] : []),
  ];
}

const STUBS: Record<string, string> = {
  // Logs the call; the per-tool body below the shebang keeps the fake kernel/daemon state.
  modprobe: '',
  hostnamectl: 'exit 1 # no system bus in the root: the phase falls back to hostname(1)',
  swapoff: 'head -n1 /proc/swaps >/proc/swaps.new && mv /proc/swaps.new /proc/swaps',
  // Units' enabled/active state are files; restarting containerd makes its socket, as the daemon
  // would, and a main process whose command line is the unit's ExecStart: the last one in the unit
  // (/etc/systemd/system's copy over /usr/lib's) and its drop-ins, an empty ExecStart= clearing
  // the earlier ones, as systemd reads them.
  systemctl: [
    'case $1 in',
    '  is-enabled) [ -f "/fake/state/enabled-$3" ] ;;',
    '  is-active) [ -f "/fake/state/active-$3" ] ;;',
    '  enable) touch "/fake/state/enabled-$2" ;;',
    '  show) if [ -f "/fake/state/active-$5" ]; then cat "/fake/state/pid-$5"; else echo 0; fi ;;',
    '  restart)',
    '    touch "/fake/state/active-$2"',
    '    if [ "$2" = containerd ]; then',
    '      mkdir -p /run/containerd',
    '      [ -S /run/containerd/containerd.sock ] || python3 -c \'import socket; socket.socket(socket.AF_UNIX).bind("/run/containerd/containerd.sock")\'',
    '      unit=/etc/systemd/system/containerd.service; [ -f $unit ] || unit=/usr/lib/systemd/system/containerd.service',
    '      cmd=$(cat $unit /etc/systemd/system/containerd.service.d/*.conf 2>/dev/null | sed -n "s/^ExecStart=//p" | tail -n1)',
    '      mkdir -p /proc/4242 && printf "%s\\0" $cmd >/proc/4242/cmdline && echo 4242 >/fake/state/pid-containerd',
    '    fi ;;',
    'esac',
  ].join('\n'),
  getenforce: 'cat /fake/state/selinux',
  setenforce: '[ "$1" = 0 ] && echo Permissive >/fake/state/selinux',
  ufw: 'case $1 in status) echo "Status: active" ;; allow) grep -qx "$2" /fake/state/ufw 2>/dev/null || echo "$2" >>/fake/state/ufw ;; esac',
  'firewall-cmd': [
    'case $* in',
    '  --state) echo running ;;',
    '  "--permanent --query-port="*) grep -qx "${2#--query-port=}" /fake/state/firewalld 2>/dev/null ;;',
    '  "--permanent --add-port="*) echo "${2#--add-port=}" >>/fake/state/firewalld ;;',
    '  "--permanent --query-protocol="*) grep -qx "${2#--query-protocol=}" /fake/state/firewalld-protocols 2>/dev/null ;;',
    '  "--permanent --add-protocol="*) echo "${2#--add-protocol=}" >>/fake/state/firewalld-protocols ;;',
    'esac',
  ].join('\n'),
  'apt-get': [
    'if [ "$1" = install ]; then',
    '  for a in "$@"; do case $a in install|-*) ;; *) printf "Package: %s\\nStatus: install ok installed\\nArchitecture: amd64\\nVersion: 1.0\\nMaintainer: fake\\nDescription: fake\\n\\n" "$a" >>/var/lib/dpkg/status ;; esac; done',
    'fi',
  ].join('\n'),
  dnf: 'if [ "$1" = install ]; then for a in "$@"; do case $a in install|-*) ;; *) echo "$a" >>/fake/state/rpms ;; esac; done; fi',
  rpm: '[ "$1" = -q ] && [ "$2" = --whatprovides ] && grep -qx "$3" /fake/state/rpms',
};

function write(root: string, path: string, content: string, mode = 0o644): void {
  const p = join(root, path);
  mkdirSync(dirname(p), { recursive: true });
  writeFileSync(p, content);
  chmodSync(p, mode);
}

function dpkgStatus(names: readonly string[]): string {
  return names.map((n) => `Package: ${n}\nStatus: install ok installed\nArchitecture: amd64\nVersion: 1.0\nMaintainer: fake\nDescription: fake\n\n`).join('');
}

/** Keys the host's /usr/lib/sysctl.d sets: `sysctl --system` reads those too, so they need files. */
function hostSysctlKeys(): string[] {
  const keys: string[] = [];
  for (const dir of ['/usr/lib/sysctl.d']) {
    let names: string[] = [];
    try { names = readdirSync(dir); } catch { continue; }
    for (const n of names.filter((x) => x.endsWith('.conf'))) {
      for (const line of readFileSync(join(dir, n), 'utf8').split('\n')) {
        const m = /^\s*-?([a-z0-9_./-]+)\s*=/.exec(line);
        if (m) keys.push(m[1]!);
      }
    }
  }
  return keys;
}

const made: string[] = [];

/** Removes every root this process made (the overlay is unmounted when its namespace ends). */
export function removeThrowawayRoots(): void {
  for (const dir of made.splice(0)) rmSync(dir, { recursive: true, force: true });
}

export class ThrowawayRoot {
  readonly dir: string;
  readonly root: string;
  private readonly upper: string;
  private readonly work: string;
  private readonly net: FakeNet | undefined;

  constructor(files: readonly NodeFile[], machine: FakeMachine) {
    this.net = machine.net;
    this.dir = mkdtempSync(join(tmpdir(), 'kubeseed-root-'));
    made.push(this.dir);
    this.root = join(this.dir, 'root');
    this.upper = join(this.dir, 'usr-upper');
    this.work = join(this.dir, 'usr-work');
    for (const d of [this.root, this.upper, this.work]) mkdirSync(d, { recursive: true });
    const r = this.root;
    for (const d of ['usr', 'dev', 'etc', 'run', 'tmp', 'root', 'var/lib/kubeseed', 'var/log', 'var/lib/dpkg/alternatives', 'var/lib/dpkg/info', 'var/lib/dpkg/updates', 'etc/alternatives', 'fake/state']) {
      mkdirSync(join(r, d), { recursive: true });
    }
    chmodSync(join(r, 'tmp'), 0o1777);
    for (const l of ['bin', 'sbin', 'lib', 'lib64']) symlinkSync(`usr/${l}`, join(r, l));
    symlinkSync('../run', join(r, 'var/run'));
    writeFileSync(join(r, 'dev/null'), '');
    // The host's /usr reaches some tools through /etc/alternatives (awk → mawk): the same links.
    for (const e of readdirSync('/etc/alternatives')) {
      const st = lstatSync(join('/etc/alternatives', e));
      if (st.isSymbolicLink()) symlinkSync(readlinkSync(join('/etc/alternatives', e)), join(r, 'etc/alternatives', e));
    }
    // The stock image.
    write(r, '/etc/hosts', '127.0.0.1 localhost\n');
    write(r, '/etc/fstab', 'UUID=0a0b / ext4 defaults 0 1\n/swap.img none swap sw 0 0\n');
    write(r, '/proc/swaps', 'Filename\tType\tSize\tUsed\tPriority\n/swap.img\tfile\t1048572\t0\t-2\n');
    for (const [ifname, mac] of Object.entries(machine.macs)) write(r, `/sys/class/net/${ifname}/address`, `${mac}\n`);
    write(r, '/sys/class/dmi/id/product_uuid', `${machine.productUuid.toUpperCase()}\n`);
    for (const key of [...hostSysctlKeys(), 'net/bridge/bridge-nf-call-iptables', 'net/bridge/bridge-nf-call-ip6tables', 'net/ipv4/ip_forward']) {
      write(r, `/proc/sys/${key.replace(/\./g, '/')}`, '0\n');
    }
    if (machine.packageManager === 'apt') write(r, '/var/lib/dpkg/status', dpkgStatus(machine.installed));
    else write(r, '/fake/state/rpms', machine.installed.map((n) => `${n}\n`).join(''));
    if (machine.selinux) write(r, '/fake/state/selinux', `${machine.selinux}\n`);
    // The stock image's files; those under /usr go to the overlay's upper layer (see below).
    for (const [path, content] of Object.entries(machine.files)) {
      if (path.startsWith('/usr/')) write(this.upper, path.slice(4), content);
      else write(r, path, content);
    }
    for (const [name, body] of Object.entries(STUBS)) {
      write(r, `/fake/bin/${name}`, `#!/bin/sh\necho "${name} $*" >>/fake/calls.log\n${body}\n`, 0o755);
    }
    // What cloud-init's write_files would have laid down; files under /usr go to the overlay's
    // upper layer, which is what the root sees at /usr.
    for (const f of files) {
      const content = typeof f.content === 'string' ? f.content : Buffer.from(f.content).toString('latin1');
      if (f.path.startsWith('/usr/')) write(this.upper, f.path.slice(4), content, f.mode);
      else write(r, f.path, content, f.mode);
    }
  }

  /**
   * Runs `setup` (host shell, inside the namespaces, before the chroot), then each command in the
   * chroot, stopping at the first failure. Returns the last command's result.
   */
  run(commands: readonly string[], setup = ''): RunResult {
    const r = this.root;
    const env = 'env -i PATH=/fake/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin HOME=/root LANG=C.UTF-8';
    const script = [
      'set -eu',
      `mount -t overlay overlay -o lowerdir=/usr,upperdir=${this.upper},workdir=${this.work} ${r}/usr`,
      `mount --bind /dev/null ${r}/dev/null`,
      'ip link set lo up',
      ...netSetup(this.net),
      setup,
      ...commands.map((c) => `chroot ${r} ${env} bash -c ${shQuote(c)}`),
    ].join('\n');
    return run('unshare', ['--mount', '--uts', '--net', '--pid', '--fork', '--kill-child', 'bash', '-c', script]);
  }

  /** Calls the fake tools recorded, one line per call. */
  calls(): string[] {
    try {
      return readFileSync(join(this.root, 'fake/calls.log'), 'utf8').split('\n').filter(Boolean);
    } catch {
      return [];
    }
  }

  /**
   * path → type, mode, content hash (or link target) of everything in the root and the /usr
   * overlay's upper layer, except what grows by design on every run: the phase log and the
   * fake tools' call log.
   */
  snapshot(): Map<string, string> {
    const out = new Map<string, string>();
    const skip = new Set(['root/var/log/kubeseed', 'root/fake/calls.log', 'root/usr']);
    const walk = (abs: string, rel: string): void => {
      if (skip.has(rel)) return;
      const st = lstatSync(abs);
      let what: string;
      if (st.isSymbolicLink()) what = `link ${readlinkSync(abs)}`;
      else if (st.isDirectory()) what = 'dir';
      else if (st.isFile()) what = `file ${createHash('sha256').update(readFileSync(abs)).digest('hex')}`;
      else what = `other ${st.rdev}`;
      out.set(rel, `${what} ${(st.mode & 0o7777).toString(8)}`);
      if (st.isDirectory()) for (const e of readdirSync(abs).sort()) walk(join(abs, e), `${rel}/${e}`);
    };
    walk(this.root, 'root');
    walk(this.upper, 'usr-upper');
    return out;
  }

  read(path: string): string {
    return readFileSync(join(this.root, path), 'utf8');
  }
}

/** Entries that differ between two snapshots, for a readable failure. */
export function diffSnapshots(a: Map<string, string>, b: Map<string, string>): string[] {
  const keys = [...new Set([...a.keys(), ...b.keys()])].sort();
  return keys.filter((k) => a.get(k) !== b.get(k)).map((k) => `${k}: ${a.get(k) ?? 'absent'} → ${b.get(k) ?? 'absent'}`);
}
