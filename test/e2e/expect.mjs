#!/usr/bin/env node
// Writes a booted node's expect file (facts: assert.sh) from what kubeseed compiled for it: the
// node's user-data, network-config and meta-data, and the profile's node entry. Nothing here is
// hand-copied from the profile: hostname, address, gateway, /etc/hosts lines, sysctls and kernel
// modules are read from the node's own compiled files.
//
// Usage: node expect.mjs REPO_DIR NODE_DIR NODE_NAME PROFILE MODE [IMAGE]
//        MODE: normal | wrong-mac; IMAGE: the image variant the node boots, networkd (default) | ifupdown
// Env:   KUBESEED_E2E_BUNDLE_JSON  the bundle.json of the bundle the node installs from: each OS
//                                  package it carries and each image, with their versions and digests
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

const [repo, nodeDir, name, profileFile, mode = 'normal', image = 'networkd'] = process.argv.slice(2);
const { parse } = await import(pathToFileURL(join(repo, 'node_modules/yaml/dist/index.js')).href);
const read = (f) => readFileSync(join(nodeDir, f), 'utf8');
const userData = parse(read('user-data'));
const net = parse(read('network-config'));
const profile = parse(readFileSync(profileFile, 'utf8'));
const node = profile.spec.nodes.find((n) => n.name === name);
const file = (path) => (userData.write_files ?? []).find((f) => f.path === path)?.content;
const phases = (file('/usr/local/sbin/kubeseed-firstboot') ?? '').match(/^PHASES=\((.*)\)$/m)?.[1].match(/'([^']+)'/g)?.map((s) => s.slice(1, -1)) ?? [];
// The files that carry a secret, as the node's secrets phase lists them. The tree's user-data
// stages them (under /run/kubeseed/secrets) for VM templates; the seed ISO booted here carries
// them apart from its user-data, so they must never appear in cloud-init's copy of it.
const secretPaths = (file('/usr/local/lib/kubeseed/phases/secrets.sh') ?? '').match(/^SECRETS=\((.*)\)$/m)?.[1].match(/'([^']+)'/g)?.map((s) => s.slice(1, -1)) ?? [];
const re = (s) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

const facts = [];
const fact = (...w) => facts.push(w.join(' '));
// The VM boots with the profile's MACs, one NIC each (the plain NIC, then bond members, as the
// plan orders them), and its product_uuid (in wrong-mac mode compile-nodes.sh compiled the seed
// with another MAC, and the VM keeps the right one).
for (const mac of [...(node.mac ? [node.mac] : []), ...(node.bonds ?? []).flatMap((b) => b.members)]) fact('mac', mac);
if (node.productUuid) fact('product-uuid', node.productUuid);
fact('datasource', 'NoCloud');
fact('hostname', userData.hostname);
fact('iso-joliet');
fact('iso-rockridge');
const [, eth] = Object.entries(net.ethernets)[0];
// (With a wrong MAC the network-config matches no NIC either: no static address to check.)
if (mode !== 'wrong-mac') {
  const members = new Map(Object.entries(net.bonds ?? {}).flatMap(([b, cfg]) => cfg.interfaces.map((m) => [m, b])));
  for (const [id, cfg] of Object.entries(net.ethernets)) {
    const nic = cfg['set-name'] ?? id;
    // An enslaved NIC carries its bond's MAC; its own is the permanent one.
    if (members.has(nic)) fact('bond-member', nic, cfg.match.macaddress, members.get(nic));
    else fact('link', nic, cfg.match.macaddress);
  }
  for (const [b, cfg] of Object.entries(net.bonds ?? {})) fact('bond', b, cfg.parameters.mode, ...cfg.interfaces);
  for (const [v, cfg] of Object.entries(net.vlans ?? {})) {
    fact('vlan', v, cfg.id, cfg.link);
    // cloud-init's eni renderer leaves a VLAN without an address out of ifupdown's `auto` list;
    // the preflight adds it there, so ifup makes it now and on every later boot.
    if (image === 'ifupdown' && !cfg.addresses) {
      const re = v.replaceAll('.', '\\.');
      fact('section-re', 'firstboot-log', `\\[preflight\\] VLAN ${re} \\(id ${cfg.id} on ${cfg.link}\\) was not there .*: marked it auto in /etc/network/interfaces\\.d/60-kubeseed-vlans and brought it up with ifup$`);
      fact('section-re', 'evidence.d/05-network', `^ifupdown auto: .*\\b${re}( |$)`);
      // ...and what networking.service runs at boot makes it again once ifdown has deleted it.
      fact('section', 'evidence.d/05-network', `ifup -a: ${v} gone after ifdown, present after ifup -a`);
    }
  }
  const all = [...Object.entries(net.ethernets), ...Object.entries(net.bonds ?? {}), ...Object.entries(net.vlans ?? {})];
  for (const [id, cfg] of all) {
    const iface = cfg['set-name'] ?? id;
    for (const a of cfg.addresses ?? []) fact('ipv4', iface, a);
    if (cfg.gateway4) {
      fact('route-default', cfg.gateway4);
      fact('route-default-dev', cfg.gateway4, iface);
      fact('gateway-reached', cfg.gateway4);
      // The renderer set the route: the preflight found it and added none.
      fact('section-re', 'firstboot-log', `\\[preflight\\] default route via ${cfg.gateway4.replaceAll('.', '\\.')} dev ${iface.replaceAll('.', '\\.')} present$`);
    }
  }
  if (image === 'ifupdown') {
    fact('renderer', 'eni');
    fact('no-command', 'route');
    fact('no-command', 'ifconfig');
    fact('section-re', 'evidence.d/05-network', '^unit systemd-networkd: inactive$');
    fact('section', 'evidence.d/05-network', 'unit networking: active');
  } else {
    fact('renderer', 'networkd');
  }
}

if (mode === 'wrong-mac') {
  // The preflight refuses the machine: its message, and no later phase ran. cloud-init reports
  // the same mismatch on its own (network-config names a MAC no NIC has), besides runcmd.
  fact('section', 'cloud-init-status', 'status: error');
  const seedMac = eth.match?.macaddress;
  fact('section-re', 'cloud-init-result', `Not all expected physical devices present: \\{'${seedMac}'\\}`);
  fact('section-re', 'cloud-init-result', 'scripts-user.*Runparts: 1 failures \\(runcmd\\)');
  fact('section-re', 'firstboot-log', `\\[preflight\\] FATAL: no interface has MAC [0-9a-f:]+: this user-data is for node ${name} .* this machine has .*${node.mac}`);
  fact('section-re', 'firstboot-log', '\\[firstboot\\] phase preflight: FAILED with status 1 ');
  for (const p of phases.filter((p) => p !== 'preflight')) fact('section-absent-re', 'firstboot-log', `\\[firstboot\\] phase ${p}: start`);
  fact('section-absent-re', 'kubeseed-markers', '\\.done$');
  // No secret reached the machine: none in place, nothing staged (the seed's user-data stages none).
  for (const p of secretPaths) fact('section', 'evidence.d/40-secrets', `secret MISSING ${p}`);
  fact('section', 'evidence.d/40-secrets', 'staging absent /run/kubeseed/secrets');
  fact('section-absent-re', 'write-files', '/run/kubeseed/secrets/');
  console.log(facts.join('\n'));
  process.exit(0);
}

// Every phase before kubeadm finished; kubeadm stopped, saying why (the bundle has no kubeadm),
// so cloud-init's runcmd failed and that is cloud-init's only error.
fact('cloud-init-failed-only-runcmd');
for (const p of phases.filter((p) => p !== 'kubeadm')) {
  fact('section-re', 'firstboot-log', `\\[firstboot\\] phase ${p}: done in [0-9]+s$`);
  fact('marker', `${p}.done`);
}
if (phases.includes('kubeadm')) {
  fact('section-re', 'firstboot-log', '\\[kubeadm\\] FATAL: kubeadm binary missing from bundle: ');
  fact('section-re', 'firstboot-log', '\\[firstboot\\] phase kubeadm: FAILED with status 1 ');
}
// The secrets phase took every secret file from the seed ISO and put it in place 0600; nothing is
// left staged; the logs are private and hold no token.
if (secretPaths.length > 0) {
  fact('section-re', 'firstboot-log', `\\[secrets\\] installed ${secretPaths.length} of ${secretPaths.length} secret files from the seed ISO's kubeseed/secrets/ \\(0600, root\\): ${re(secretPaths.join(' '))}$`);
  for (const p of secretPaths) fact('section', 'evidence.d/40-secrets', `secret 600 root:root ${p}`);
}
fact('section', 'evidence.d/40-secrets', 'staging absent /run/kubeseed/secrets');
fact('section', 'evidence.d/40-secrets', 'log 700 root:root /var/log/kubeseed');
fact('section', 'evidence.d/40-secrets', 'log 600 root:root /var/log/kubeseed/firstboot.log');
for (const f of ['/var/log/kubeseed/firstboot.log', '/var/log/cloud-init-output.log', '/var/log/cloud-init.log', 'journal']) {
  fact('section', 'evidence.d/40-secrets', `token-count 0 ${f}`);
}
fact('section-absent-re', 'write-files', '/run/kubeseed/secrets/');
const hostLines = (file('/etc/kubeseed/hosts') ?? '').split('\n').filter((l) => l.trim() && !l.startsWith('#'));
for (const line of hostLines) fact('hosts-entry', ...line.trim().split(/\s+/));
// A worker is not in that file: the os phase adds its line from node.env.
const env = Object.fromEntries([...(file('/etc/kubeseed/node.env') ?? '').matchAll(/^(KS_NODE|KS_NODE_IP)='([^']*)'$/gm)].map((m) => [m[1], m[2]]));
if (env.KS_NODE && !hostLines.some((l) => l.trim().split(/\s+/).slice(1).includes(env.KS_NODE))) fact('hosts-entry', env.KS_NODE_IP, env.KS_NODE);
for (const f of userData.write_files ?? []) {
  if (f.path.startsWith('/etc/sysctl.d/')) {
    for (const line of f.content.split('\n')) {
      const m = line.match(/^\s*([a-z0-9_.-]+)\s*=\s*(\S+)\s*$/);
      if (m) fact('sysctl', m[1], m[2]);
    }
  }
  if (f.path.startsWith('/etc/modules-load.d/')) {
    for (const line of f.content.split('\n')) if (/^[a-z0-9_]+$/.test(line.trim())) fact('module', line.trim());
  }
}
// The os phase's endpoint line (the VIP on nodes behind the load balancer).
const osPhase = file('/usr/local/lib/kubeseed/phases/os.sh') ?? '';
const endpointIp = osPhase.match(/^ENDPOINT_IP='?([0-9.]+)'?$/m)?.[1];
const endpointHost = osPhase.match(/^ENDPOINT_HOST='?([a-z0-9.-]+)'?$/m)?.[1];
if (endpointIp && endpointHost) fact('hosts-entry', endpointIp, endpointHost);
// The modules the issue names, whatever the compiled list says (the list's own are above).
for (const m of ['br_netfilter', 'overlay', 'ip_vs', 'ip_vs_rr']) if (!facts.includes(`module ${m}`)) fact('module', m);
fact('iptables', 'legacy');
fact('no-swap');
fact('section', 'containerd-active', 'active');
fact('section-re', 'containerd-config', '^ *SystemdCgroup = true$');
fact('section-re', 'containerd-config', '^ *config_path = "/etc/containerd/certs.d(:[^"]*)?"$');
for (const [host] of Object.entries(profile.spec.containerd?.mirrors ?? {})) {
  fact('section-re', 'evidence.d/30-runtime', `^/etc/containerd/certs.d/${host.replaceAll('.', '\\.')}/hosts.toml: \\[host\\."`);
}
// The offline bundle: verified, then its OS packages installed with dpkg and its images imported
// into containerd, from the seed ISO with no network.
if (profile.spec.artifacts?.source === 'bundle') {
  fact('section-re', 'firstboot-log', '\\[artifacts\\] verified the sha256 of [0-9]+ artifacts$');
  fact('section-re', 'firstboot-log', '\\[artifacts\\] OS packages installed from the bundle: ');
  fact('section-re', 'evidence.d/30-runtime', '^dpkg containerd \\S+ install ok installed$');
  // Where the bundle comes from: the medium this node's artifacts phase looks on first (the first
  // of MEDIA_LABELS in its compiled script), which compile-nodes.sh attaches: the shared bundle
  // medium (label KSBUNDLE, bundle.iso beside a small seed) or the seed ISO itself (label cidata,
  // bundleMedium seed). The probe prints the phase's log line and each medium's device and size.
  const media = (name) => (file('/usr/local/lib/kubeseed/phases/artifacts.sh') ?? '').match(new RegExp(`^${name}=\\((.*)\\)$`, 'm'))?.[1].match(/'([^']+)'/g)?.map((x) => x.slice(1, -1)) ?? [];
  const [label] = media('MEDIA_LABELS');
  const [mount] = media('MEDIA_MOUNTS');
  const [what] = media('MEDIA_NAMES');
  if (!label) throw new Error(`${name}: its artifacts.sh names no bundle media (MEDIA_LABELS)`);
  const from = `bundle on the ${re(what)} /dev/sr[0-9]+ \\(label ${re(label)}\\)`;
  fact('section-re', 'firstboot-log', `\\[artifacts\\] ${from}, mounted read-only on ${re(mount)}$`);
  fact('section-re', 'evidence.d/30-runtime', `^bundle from: ${from}`);
  if (label === 'KSBUNDLE') {
    fact('section-re', 'evidence.d/30-runtime', '^medium KSBUNDLE /dev/sr[0-9]+ [0-9]+ bytes$');
    // The seed without the bundle: under a megabyte.
    fact('section-re', 'evidence.d/30-runtime', '^medium cidata /dev/sr[0-9]+ [0-9]{1,6} bytes$');
  } else {
    fact('section', 'evidence.d/30-runtime', 'medium KSBUNDLE none');
    fact('section-re', 'evidence.d/30-runtime', '^medium cidata /dev/sr[0-9]+ [0-9]{7,} bytes$');
  }
  const bundleJson = process.env.KUBESEED_E2E_BUNDLE_JSON;
  if (bundleJson && existsSync(bundleJson)) {
    const bundle = JSON.parse(readFileSync(bundleJson, 'utf8'));
    // The tools the image lacks (image/purge.txt): installed, at the version the bundle carries.
    for (const tool of ['conntrack', 'socat', 'ipvsadm', 'ebtables', 'ethtool']) {
      const pkg = bundle.artifacts.find((a) => a.kind === 'package' && a.name === `package/${tool}`);
      if (!pkg) throw new Error(`${bundleJson} carries no package ${tool}`);
      fact('section', 'evidence.d/30-runtime', `dpkg ${tool} ${pkg.version} install ok installed`);
    }
    for (const img of bundle.artifacts.filter((a) => a.kind === 'image')) {
      fact('section-re', 'firstboot-log', `\\[artifacts\\] image ${re(img.ref)} is ${re(img.digest)}$`);
      fact('section-re', 'evidence.d/30-runtime', `^ctr image: ${re(img.ref)} +\\S+ +${re(img.digest)} `);
    }
  }
}
fact('section-re', 'evidence.d/10-rerun', '^re-run exit status 0$');
fact('section-re', 'evidence.d/10-rerun', '^second run: [0-9]+ digests unchanged');
if (file('/usr/local/sbin/kubeseed-lb-checker')) {
  fact('service', 'kubeseed-lb-checker');
  const vip = file('/usr/local/sbin/kubeseed-lb-checker').match(/^SERVICE='?([0-9.:]+)'?$/m)[1];
  fact('section-re', 'ipvsadm', `^TCP +${vip.replaceAll('.', '\\.')} rr`);
  for (const b of file('/usr/local/sbin/kubeseed-lb-checker').match(/^BACKENDS=\((.*)\)$/m)[1].match(/=([0-9.:]+)'/g).map((s) => s.slice(1, -1))) {
    fact('section-re', 'evidence.d/20-lb-failover', `^ +-> ${b.replaceAll('.', '\\.')} +(Masq|Local) +1 `);
  }
  for (const v of ['drained within two check intervals', 'removed within [0-9]+ rounds \\([0-9]+s\\)', 'restored', 'repaired after ipvsadm -C', 'traffic kept flowing']) {
    fact('section-re', 'evidence.d/20-lb-failover', `^verdict: ${v} yes$`);
  }
}
console.log(facts.join('\n'));
