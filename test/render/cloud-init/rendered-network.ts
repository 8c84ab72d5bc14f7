/**
 * Readers for what `cloud-init devel net-convert` writes under each renderer, each parsing its
 * own format (netplan YAML, systemd-networkd INI, ifupdown stanzas, RHEL ifcfg key=value,
 * NetworkManager keyfile INI) into one model: the devices the system will create, the addresses,
 * the default route and how it is set, and DNS. Tests compare models, never text.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';

export interface Device {
  kind: 'ethernet' | 'bond' | 'vlan';
  /** The MAC the NIC is matched or renamed by. */
  mac?: string;
  /** An MTU the configuration applies. */
  mtu?: number;
  /** The bond a NIC is enslaved to. */
  master?: string;
  mode?: string;
  miimon?: number;
  lacpRate?: string;
  hashPolicy?: string;
  vlanId?: number;
  link?: string;
}

export interface DefaultRoute {
  dev: string;
  via: string;
  /** What sets it: the daemon's own setting, or the command a hook runs. */
  how: string;
}

export interface RenderedNetwork {
  devices: Record<string, Device>;
  addresses: Record<string, string[]>;
  defaultRoutes: DefaultRoute[];
  nameservers: string[];
  search: string[];
  /** Every command an ifupdown hook (up, post-up, pre-down, ...) runs. */
  hookCommands: string[];
  /** Interfaces configured by name that nothing creates (no NIC matched, no netdev). */
  unbacked: string[];
}

function empty(): RenderedNetwork {
  return { devices: {}, addresses: {}, defaultRoutes: [], nameservers: [], search: [], hookCommands: [], unbacked: [] };
}

function read(dir: string, path: string): string {
  return readFileSync(join(dir, path), 'utf8');
}

function files(dir: string, sub: string): string[] {
  const d = join(dir, sub);
  return existsSync(d) ? readdirSync(d).sort() : [];
}

function prefixOf(netmask: string): number {
  return netmask.split('.').reduce((n, o) => n + Number(o).toString(2).replace(/0/g, '').length, 0);
}

function uniq(xs: string[]): string[] {
  return [...new Set(xs)];
}

/** `[Section]` / `key=value` files (networkd units, NetworkManager keyfiles): sections may repeat. */
export function parseIni(text: string): { name: string; entries: [string, string][] }[] {
  const out: { name: string; entries: [string, string][] }[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (!line || line.startsWith('#') || line.startsWith(';')) continue;
    const sec = /^\[(.+)\]$/.exec(line);
    if (sec) {
      out.push({ name: sec[1]!, entries: [] });
      continue;
    }
    const eq = line.indexOf('=');
    if (eq < 0 || out.length === 0) throw new Error(`not an INI line: ${raw}`);
    out[out.length - 1]!.entries.push([line.slice(0, eq).trim(), line.slice(eq + 1).trim()]);
  }
  return out;
}

function values(secs: ReturnType<typeof parseIni>, section: string, key: string): string[] {
  return secs.filter((s) => s.name === section).flatMap((s) => s.entries.filter(([k]) => k === key).map(([, v]) => v));
}

function one(secs: ReturnType<typeof parseIni>, section: string, key: string): string | undefined {
  return values(secs, section, key)[0];
}

/** udev rules cloud-init writes to rename NICs: MAC → name. */
function udevRenames(dir: string): Map<string, string> {
  const out = new Map<string, string>();
  const path = 'etc/udev/rules.d/70-persistent-net.rules';
  if (!existsSync(join(dir, path))) return out;
  for (const line of read(dir, path).split('\n')) {
    const m = /ATTR\{address\}=="([0-9a-f:]+)".*NAME="([^"]+)"/.exec(line);
    if (m) out.set(m[2]!, m[1]!);
  }
  return out;
}

// ---- netplan -------------------------------------------------------------------------------

export function readNetplan(dir: string): RenderedNetwork {
  const out = empty();
  const [file] = files(dir, 'etc/netplan');
  if (!file) throw new Error('no netplan file');
  const net = (parseYaml(read(dir, `etc/netplan/${file}`), { version: '1.1' }) as { network: Record<string, Record<string, Record<string, unknown>> | number> }).network;
  const sections = { ethernets: 'ethernet', bonds: 'bond', vlans: 'vlan' } as const;
  for (const [section, kind] of Object.entries(sections)) {
    for (const [id, cfg] of Object.entries((net[section] ?? {}) as Record<string, Record<string, unknown>>)) {
      const name = (cfg['set-name'] as string | undefined) ?? id;
      const dev: Device = { kind };
      const match = cfg.match as { macaddress?: string } | undefined;
      if (match?.macaddress) dev.mac = match.macaddress;
      if (typeof cfg.mtu === 'number') dev.mtu = cfg.mtu;
      if (kind === 'bond') {
        const p = (cfg.parameters ?? {}) as Record<string, unknown>;
        dev.mode = p.mode as string;
        if (p['mii-monitor-interval'] !== undefined) dev.miimon = Number(p['mii-monitor-interval']);
        if (p['lacp-rate'] !== undefined) dev.lacpRate = String(p['lacp-rate']);
        if (p['transmit-hash-policy'] !== undefined) dev.hashPolicy = String(p['transmit-hash-policy']);
        for (const m of (cfg.interfaces ?? []) as string[]) out.devices[m] = { ...out.devices[m]!, master: name };
      }
      if (kind === 'vlan') {
        dev.vlanId = Number(cfg.id);
        dev.link = cfg.link as string;
      }
      out.devices[name] = { ...out.devices[name], ...dev };
      if (Array.isArray(cfg.addresses)) out.addresses[name] = cfg.addresses.map(String);
      if (typeof cfg.gateway4 === 'string') out.defaultRoutes.push({ dev: name, via: cfg.gateway4, how: 'netplan gateway4' });
      for (const r of (cfg.routes ?? []) as { to: string; via: string }[]) {
        if (r.to === 'default' || r.to === '0.0.0.0/0') out.defaultRoutes.push({ dev: name, via: r.via, how: 'netplan route' });
      }
      const ns = cfg.nameservers as { addresses?: string[]; search?: string[] } | undefined;
      out.nameservers.push(...(ns?.addresses ?? []));
      out.search.push(...(ns?.search ?? []));
    }
  }
  return { ...out, nameservers: uniq(out.nameservers), search: uniq(out.search) };
}

// ---- systemd-networkd ----------------------------------------------------------------------

export function readNetworkd(dir: string): RenderedNetwork {
  const out = empty();
  const base = 'etc/systemd/network';
  const units = files(dir, base).map((f) => ({ f, secs: parseIni(read(dir, `${base}/${f}`)) }));
  // A .netdev creates a bond or VLAN; a .network configures a NIC it matches by MAC or a device
  // a .netdev creates. A .network matching only a name nothing creates configures nothing.
  for (const { f, secs } of units.filter((u) => u.f.endsWith('.netdev'))) {
    const name = one(secs, 'NetDev', 'Name');
    if (!name) throw new Error(`${f}: no [NetDev] Name=`);
    const kind = one(secs, 'NetDev', 'Kind');
    out.devices[name] = kind === 'bond'
      ? { kind: 'bond', mode: one(secs, 'Bond', 'Mode')! }
      : { kind: 'vlan', vlanId: Number(one(secs, 'VLAN', 'Id')) };
  }
  for (const { f, secs } of units.filter((u) => u.f.endsWith('.network'))) {
    const name = one(secs, 'Match', 'Name');
    if (!name) throw new Error(`${f}: no [Match] Name=`);
    const mac = one(secs, 'Match', 'MACAddress');
    const dev: Device | undefined = mac ? { kind: 'ethernet', mac } : out.devices[name];
    if (!dev) {
      out.unbacked.push(name);
      continue;
    }
    const mtu = one(secs, 'Link', 'MTUBytes');
    if (mtu) dev.mtu = Number(mtu);
    const bond = one(secs, 'Network', 'Bond');
    if (bond) dev.master = bond;
    for (const v of values(secs, 'Network', 'VLAN')) if (out.devices[v]) out.devices[v].link = name;
    out.devices[name] = dev;
    const addrs = [...values(secs, 'Address', 'Address'), ...values(secs, 'Network', 'Address')];
    if (addrs.length) out.addresses[name] = addrs;
    for (const gw of values(secs, 'Network', 'Gateway')) out.defaultRoutes.push({ dev: name, via: gw, how: 'networkd [Network] Gateway=' });
    for (const r of secs.filter((s) => s.name === 'Route')) {
      const to = r.entries.find(([k]) => k === 'Destination')?.[1];
      const gw = r.entries.find(([k]) => k === 'Gateway')?.[1];
      if (gw && (to === undefined || to === '0.0.0.0/0')) out.defaultRoutes.push({ dev: name, via: gw, how: 'networkd [Route] Gateway=' });
    }
    out.nameservers.push(...values(secs, 'Network', 'DNS').flatMap((v) => v.split(/\s+/)));
    out.search.push(...values(secs, 'Network', 'Domains').flatMap((v) => v.split(/\s+/)));
  }
  return { ...out, nameservers: uniq(out.nameservers), search: uniq(out.search) };
}

// ---- ifupdown (eni) ------------------------------------------------------------------------

const HOOKS = new Set(['pre-up', 'up', 'post-up', 'down', 'pre-down', 'post-down']);

/**
 * /etc/network/interfaces stanzas as ifupdown reads them: `auto NAME`, `iface NAME inet METHOD`
 * and its indented options. Only interfaces marked `auto` are brought up at boot, so options
 * of the others (an MTU) take no effect. Bonds follow ifenslave's options (bond-master,
 * bond-slaves, bond-mode, ...), VLANs ifupdown's own naming: `<link>.<id>`.
 */
export function readEni(dir: string): RenderedNetwork {
  const out = empty();
  const renames = udevRenames(dir);
  const text = files(dir, 'etc/network/interfaces.d').map((f) => read(dir, `etc/network/interfaces.d/${f}`)).join('\n');
  const auto = new Set<string>();
  const stanzas: { name: string; method: string; opts: [string, string][] }[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.replace(/#.*/, '').trimEnd();
    if (!line.trim()) continue;
    const words = line.trim().split(/\s+/);
    if (!/^\s/.test(line)) {
      if (words[0] === 'auto' || words[0] === 'allow-hotplug') for (const w of words.slice(1)) auto.add(w);
      else if (words[0] === 'iface') stanzas.push({ name: words[1]!, method: words[3]!, opts: [] });
      else if (words[0] !== 'source' && words[0] !== 'source-directory') throw new Error(`unknown eni line: ${raw}`);
      continue;
    }
    const opt = line.trim();
    const sp = opt.search(/\s/);
    stanzas[stanzas.length - 1]!.opts.push(sp < 0 ? [opt, ''] : [opt.slice(0, sp), opt.slice(sp).trim()]);
  }
  for (const s of stanzas) {
    if (s.name === 'lo') continue;
    const opt = (k: string): string | undefined => s.opts.find(([key]) => key === k)?.[1];
    for (const [k, v] of s.opts) if (HOOKS.has(k)) out.hookCommands.push(v);
    const up = auto.has(s.name);
    const dev: Device = out.devices[s.name] ?? { kind: 'ethernet' };
    if (opt('bond-slaves') !== undefined) {
      dev.kind = 'bond';
      dev.mode = opt('bond-mode');
      if (opt('bond-miimon') !== undefined) dev.miimon = Number(opt('bond-miimon'));
      if (opt('bond-lacp-rate') !== undefined) dev.lacpRate = opt('bond-lacp-rate');
      if (opt('bond-xmit-hash-policy') !== undefined) dev.hashPolicy = opt('bond-xmit-hash-policy');
    } else if (s.name.includes('.')) {
      // ifupdown 0.8 makes `ip link add link <link> name <link>.<id> type vlan id <id>` from the
      // name, when it brings the stanza up: a VLAN that is not `auto` is never made.
      if (!up) continue;
      dev.kind = 'vlan';
      dev.link = s.name.slice(0, s.name.lastIndexOf('.'));
      dev.vlanId = Number(s.name.slice(s.name.lastIndexOf('.') + 1));
    } else {
      const mac = renames.get(s.name);
      if (mac) dev.mac = mac;
      if (opt('bond-master')) dev.master = opt('bond-master');
    }
    if (up && opt('mtu') !== undefined) dev.mtu = Number(opt('mtu'));
    out.devices[s.name] = dev;
    if (!up) continue;
    if (s.method === 'static' && opt('address')) {
      const a = opt('address')!;
      out.addresses[s.name] = [a.includes('/') ? a : `${a}/${prefixOf(opt('netmask')!)}`];
    }
    // ifupdown's own `gateway` option: it runs `ip route add default via GW dev IFACE`.
    if (opt('gateway')) out.defaultRoutes.push({ dev: s.name, via: opt('gateway')!, how: 'ifupdown gateway (ip route add default via)' });
    for (const [k, v] of s.opts) {
      const m = /^(\S+) add default gw (\S+)/.exec(v);
      if (HOOKS.has(k) && m) out.defaultRoutes.push({ dev: s.name, via: m[2]!, how: `${k} ${m[1]} add default gw` });
    }
    out.nameservers.push(...(opt('dns-nameservers')?.split(/\s+/) ?? []));
    out.search.push(...(opt('dns-search')?.split(/\s+/) ?? []));
  }
  return { ...out, nameservers: uniq(out.nameservers), search: uniq(out.search) };
}

// ---- RHEL sysconfig (ifcfg) ----------------------------------------------------------------

/** ifcfg files are shell assignments; cloud-init quotes with double quotes only. */
function parseIfcfg(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (!line || line.startsWith('#')) continue;
    const m = /^([A-Z0-9_]+)=(.*)$/.exec(line);
    if (!m) throw new Error(`not an ifcfg line: ${raw}`);
    out[m[1]!] = m[2]!.replace(/^"(.*)"$/, '$1');
  }
  return out;
}

export function readSysconfig(dir: string): RenderedNetwork {
  const out = empty();
  const base = 'etc/sysconfig/network-scripts';
  for (const f of files(dir, base)) {
    if (f.startsWith('route-')) {
      const dev = f.slice('route-'.length);
      const kv = parseIfcfg(read(dir, `${base}/${f}`));
      for (const k of Object.keys(kv).filter((x) => x.startsWith('ADDRESS'))) {
        if (kv[k] === '0.0.0.0' && kv[`NETMASK${k.slice(7)}`] === '0.0.0.0') out.defaultRoutes.push({ dev, via: kv[`GATEWAY${k.slice(7)}`]!, how: 'sysconfig route file' });
      }
      continue;
    }
    if (!f.startsWith('ifcfg-')) continue;
    const kv = parseIfcfg(read(dir, `${base}/${f}`));
    const name = kv.DEVICE!;
    const dev: Device = kv.TYPE === 'Bond' ? { kind: 'bond' } : kv.VLAN === 'yes' ? { kind: 'vlan' } : { kind: 'ethernet' };
    if (kv.HWADDR) dev.mac = kv.HWADDR.toLowerCase();
    if (kv.MTU) dev.mtu = Number(kv.MTU);
    if (kv.MASTER && kv.SLAVE === 'yes') dev.master = kv.MASTER;
    if (kv.BONDING_OPTS) {
      const o = Object.fromEntries(kv.BONDING_OPTS.split(/\s+/).map((x) => x.split('=') as [string, string]));
      dev.mode = o.mode;
      if (o.miimon !== undefined) dev.miimon = Number(o.miimon);
      if (o.lacp_rate !== undefined) dev.lacpRate = o.lacp_rate;
      if (o.xmit_hash_policy !== undefined) dev.hashPolicy = o.xmit_hash_policy;
    }
    if (dev.kind === 'vlan') {
      dev.link = kv.PHYSDEV;
      // initscripts take the id from VLAN_ID, else from the name's suffix.
      dev.vlanId = Number(kv.VLAN_ID ?? name.slice(name.lastIndexOf('.') + 1));
    }
    out.devices[name] = dev;
    if (kv.ONBOOT !== 'yes') continue;
    if (kv.IPADDR) out.addresses[name] = [`${kv.IPADDR}/${kv.PREFIX ?? prefixOf(kv.NETMASK!)}`];
    if (kv.GATEWAY && kv.DEFROUTE !== 'no') out.defaultRoutes.push({ dev: name, via: kv.GATEWAY, how: 'sysconfig GATEWAY= DEFROUTE=yes' });
    for (const k of Object.keys(kv).filter((x) => /^DNS\d+$/.test(x)).sort()) out.nameservers.push(kv[k]!);
    out.search.push(...(kv.DOMAIN?.split(/\s+/) ?? []));
  }
  return { ...out, nameservers: uniq(out.nameservers), search: uniq(out.search) };
}

// ---- NetworkManager keyfiles ---------------------------------------------------------------

export function readNetworkManager(dir: string): RenderedNetwork {
  const out = empty();
  const base = 'etc/NetworkManager/system-connections';
  const conns = files(dir, base).filter((f) => f.endsWith('.nmconnection')).map((f) => parseIni(read(dir, `${base}/${f}`)));
  // Connections refer to each other (master=, parent=) by uuid or by interface name.
  const nameOf = new Map<string, string>();
  const ifname = (c: ReturnType<typeof parseIni>): string => {
    const n = one(c, 'connection', 'interface-name');
    if (n) return n;
    const id = one(c, 'connection', 'id')!;
    // cloud-init names a NIC's connection "cloud-init NAME" and binds it by MAC (the udev rules name it).
    return id.replace(/^cloud-init /, '');
  };
  for (const c of conns) nameOf.set(one(c, 'connection', 'uuid')!, ifname(c));
  const ref = (r: string): string => nameOf.get(r) ?? r;
  for (const c of conns) {
    const name = ifname(c);
    const type = one(c, 'connection', 'type');
    const dev: Device = type === 'bond' ? { kind: 'bond' } : type === 'vlan' ? { kind: 'vlan' } : { kind: 'ethernet' };
    const mac = one(c, 'ethernet', 'mac-address');
    if (mac) dev.mac = mac.toLowerCase();
    const mtu = one(c, 'ethernet', 'mtu');
    if (mtu) dev.mtu = Number(mtu);
    const master = one(c, 'connection', 'master');
    if (master && one(c, 'connection', 'slave-type') === 'bond') dev.master = ref(master);
    if (dev.kind === 'bond') {
      dev.mode = one(c, 'bond', 'mode');
      const miimon = one(c, 'bond', 'miimon');
      if (miimon !== undefined) dev.miimon = Number(miimon);
      const lacp = one(c, 'bond', 'lacp_rate');
      if (lacp !== undefined) dev.lacpRate = lacp;
      const hash = one(c, 'bond', 'xmit_hash_policy');
      if (hash !== undefined) dev.hashPolicy = hash;
    }
    if (dev.kind === 'vlan') {
      dev.vlanId = Number(one(c, 'vlan', 'id'));
      dev.link = ref(one(c, 'vlan', 'parent')!);
    }
    out.devices[name] = dev;
    const addrs = c.filter((s) => s.name === 'ipv4').flatMap((s) => s.entries.filter(([k]) => /^address\d+$/.test(k)).map(([, v]) => v));
    if (addrs.length) out.addresses[name] = addrs.map((a) => a.split(',')[0]!);
    for (const a of addrs) if (a.includes(',')) out.defaultRoutes.push({ dev: name, via: a.split(',')[1]!, how: 'NetworkManager address1=ADDR,GW' });
    const gw = one(c, 'ipv4', 'gateway');
    if (gw) out.defaultRoutes.push({ dev: name, via: gw, how: 'NetworkManager gateway=' });
    for (const [k, v] of c.filter((s) => s.name === 'ipv4').flatMap((s) => s.entries)) {
      const [to, via] = v.split(',');
      if (/^route\d+$/.test(k) && to === '0.0.0.0/0' && via) out.defaultRoutes.push({ dev: name, via, how: 'NetworkManager route' });
    }
    out.nameservers.push(...(one(c, 'ipv4', 'dns')?.split(';').filter(Boolean) ?? []));
    out.search.push(...(one(c, 'ipv4', 'dns-search')?.split(';').filter(Boolean) ?? []));
  }
  return { ...out, nameservers: uniq(out.nameservers), search: uniq(out.search) };
}

export const READERS = {
  netplan: readNetplan,
  networkd: readNetworkd,
  eni: readEni,
  sysconfig: readSysconfig,
  'network-manager': readNetworkManager,
} as const;

export type Renderer = keyof typeof READERS;
