/**
 * The network boot files compile writes: each family's kernel command line (what leads the OS to
 * the node's configuration), the iPXE scripts by MAC and UUID, machines.json, boot.ipxe and a
 * dnsmasq snippet that dnsmasq itself accepts, and the checks that stop a compile.
 */
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildPlan } from '../../src/plan/build.js';
import { givenPaths } from '../../src/profile/given.js';
import { kernelArgs } from '../../src/render/netboot/ipxe.js';
import { renderNetworkConfig } from '../../src/render/cloud-init/network-config.js';
import { parse } from 'yaml';
import { FAKE_SECRETS, profileFrom } from '../builders/plan.js';
import { cli } from '../helpers/cli.js';
import { needTools, run } from '../helpers/tools.js';
import { compiled, profileText } from '../serve/fixture.js';

function args(os: string, netboot = '  netboot: {}\n', artifacts = ''): string[] {
  const text = profileText('t', os, `${netboot}${artifacts}`);
  const plan = buildPlan(profileFrom(text), FAKE_SECRETS, { epoch: 0, given: givenPaths(parse(text)) });
  const node = plan.nodes.find((n) => n.name === 'w1')!;
  return kernelArgs(plan.netboot!, node, plan.os.format === 'cloud-init' ? renderNetworkConfig(node) : undefined);
}

const b64 = (os: string): string => {
  const text = profileText('t', os);
  const plan = buildPlan(profileFrom(text), FAKE_SECRETS, { epoch: 0, given: new Set() });
  return `network-config=${Buffer.from(renderNetworkConfig(plan.nodes.find((n) => n.name === 'w1')!)).toString('base64')}`;
};

describe('the kernel command line per family', () => {
  it.each([
    // cloud-init 22.4 (Debian 12) and 23.4 (RHEL/Rocky) fetch an http seed only as nocloud-net.
    ['{ family: debian, version: "12" }', ['initrd=initrd.img', 'ds=nocloud-net;s=${base}nodes/w1/;i=kubeseed-t-w1', 'NC']],
    ['{ family: rocky, version: "9" }', ['initrd=initrd.img', 'ds=nocloud-net;s=${base}nodes/w1/;i=kubeseed-t-w1', 'NC']],
    // Ubuntu's cloud-init (24.1 and later) takes ds=nocloud and deprecates nocloud-net.
    ['{ family: ubuntu, version: "24.04" }', ['initrd=initrd.img', 'ds=nocloud;s=${base}nodes/w1/;i=kubeseed-t-w1', 'NC']],
    ['{ family: flatcar }', ['initrd=flatcar_production_pxe_image.cpio.gz', 'flatcar.first_boot=1', 'ignition.config.url=${base}nodes/w1/ignition.json']],
    ['{ family: fcos }', [
      'initrd=fedora-coreos-live-initramfs.x86_64.img', 'coreos.live.rootfs_url=${base}assets/fedora-coreos-live-rootfs.x86_64.img',
      'coreos.inst.install_dev=/dev/sda', 'coreos.inst.ignition_url=${base}nodes/w1/ignition.json',
    ]],
  ])('%s', (os, want) => {
    expect(args(os)).toEqual(want.map((a) => (a === 'NC' ? b64(os) : a)));
  });

  it('puts the profile\'s arguments and initrds first, and names the bundle when the node needs one', () => {
    const got = args('{ family: debian, version: "12" }',
      '  netboot:\n    kernel: deb/vmlinuz\n    initrd: [deb/initrd.img, extra.cpio]\n    args: ["console=ttyS0,115200n8", root=/dev/sda2]\n',
      '  artifacts: { source: bundle }\n');
    expect(got.slice(0, 4)).toEqual(['initrd=initrd.img', 'initrd=extra.cpio', 'console=ttyS0,115200n8', 'root=/dev/sda2']);
    expect(got.at(-1)).toBe('kubeseed.bundle=${base}assets/kubeseed-bundle.tar');
    // FCOS installs to disk: the installed system would never see the argument.
    expect(args('{ family: fcos }', '  netboot: { installDevice: /dev/nvme0n1 }\n', '  artifacts: { source: bundle }\n'))
      .toEqual(expect.arrayContaining(['coreos.inst.install_dev=/dev/nvme0n1']));
    expect(args('{ family: fcos }', '  netboot: {}\n', '  artifacts: { source: bundle }\n').some((a) => a.startsWith('kubeseed.bundle='))).toBe(false);
  });

  it('cloud-init reads it back: the seed URL, the instance id and the network config', (ctx) => {
    needTools(ctx, 'cloud-init:cloud-init');
    const python = readFileSync(run('sh', ['-c', 'command -v cloud-init']).stdout.trim(), 'utf8').split('\n')[0]!.slice(2).trim().split(' ')[0]!;
    for (const os of ['{ family: debian, version: "12" }', '{ family: ubuntu, version: "24.04" }']) {
      const line = args(os).join(' ').replaceAll('${base}', 'http://192.168.50.2:8080/');
      const r = run(python, ['-c', [
        'import json, sys',
        'from cloudinit.sources.DataSourceNoCloud import load_cmdline_data',
        'from cloudinit.net.cmdline import read_kernel_cmdline_config',
        'fill = {}',
        'load_cmdline_data(fill, sys.argv[1])',
        'print(json.dumps({"fill": fill, "network": read_kernel_cmdline_config(sys.argv[1])}))',
      ].join('\n'), line]);
      expect(r.status, r.stderr).toBe(0);
      const text = profileText('t', os);
      const node = buildPlan(profileFrom(text), FAKE_SECRETS, { epoch: 0, given: new Set() }).nodes.find((n) => n.name === 'w1')!;
      expect(JSON.parse(r.stdout)).toEqual({
        // The installed cloud-init (22.4) says "local" for ds=nocloud: it is 24.1 that fetches an
        // http seed under that name; Ubuntu ships 24.1 or later.
        fill: { seedfrom: 'http://192.168.50.2:8080/nodes/w1/', 'instance-id': 'kubeseed-t-w1', dsmode: os.includes('debian') ? 'net' : 'local' },
        network: parse(renderNetworkConfig(node)),
      });
    }
  });
});

describe('compile with a network boot entry', () => {
  it('writes each machine\'s script by MAC and UUID, machines.json with the secret files, boot.ipxe and a dnsmasq snippet dnsmasq accepts', async (ctx) => {
    const { tree } = await compiled(profileText('nb', '{ family: debian, version: "12" }'), 'nb', '--netboot', 'http://192.168.50.2:8080');
    const scripts = readdirSync(join(tree, 'netboot', 'mac')).sort();
    expect(scripts).toEqual(['52-54-00-50-00-11.ipxe', '52-54-00-50-00-21.ipxe', '52-54-00-50-00-22.ipxe']);
    expect(readdirSync(join(tree, 'netboot', 'uuid')).sort()).toEqual(['4c4c4544-0050-3110-8011-000000000011.ipxe', '4c4c4544-0050-3110-8021-000000000021.ipxe']);
    expect(readFileSync(join(tree, 'netboot', 'uuid', '4c4c4544-0050-3110-8021-000000000021.ipxe'))).toEqual(readFileSync(join(tree, 'netboot', 'mac', '52-54-00-50-00-21.ipxe')));
    const index = JSON.parse(readFileSync(join(tree, 'netboot', 'machines.json'), 'utf8'));
    const w1 = index.machines.find((m: { node: string }) => m.node === 'w1');
    expect(w1).toEqual({
      node: 'w1', mac: '52:54:00:50:00:21', uuid: '4c4c4544-0050-3110-8021-000000000021', script: 'netboot/mac/52-54-00-50-00-21.ipxe',
      files: ['meta-data', 'network-config', 'user-data', 'vendor-data'].map((name) => ({ name, path: `nodes/w1/${name}`, secret: name === 'user-data' })),
    });
    for (const f of w1.files) expect((statSync(join(tree, f.path)).mode & 0o777) === 0o600).toBe(f.secret);
    expect(readFileSync(join(tree, 'nodes', 'w1', 'vendor-data'), 'utf8')).toBe('');
    expect(readFileSync(join(tree, 'netboot', 'boot.ipxe'), 'utf8')).toBe([
      '#!ipxe',
      '# kubeseed: network boot of cluster nb, served at http://192.168.50.2:8080/',
      'set base http://192.168.50.2:8080/',
      'chain ${base}netboot/mac/${netX/mac:hexhyp}.ipxe || chain ${base}netboot/uuid/${uuid}.ipxe || goto unknown',
      ':unknown',
      'echo kubeseed: no boot for MAC ${netX/mac} or UUID ${uuid} in cluster nb (see above)',
      'exit 1',
      '',
    ].join('\n'));
    const dnsmasq = readFileSync(join(tree, 'netboot', 'dnsmasq.conf'), 'utf8');
    expect(dnsmasq.split('\n').filter((l) => l.startsWith('dhcp-boot=') || l.startsWith('dhcp-host='))).toEqual([
      'dhcp-boot=tag:ipxe,http://192.168.50.2:8080/netboot/boot.ipxe',
      'dhcp-boot=tag:!ipxe,tag:efi64,ipxe.efi',
      'dhcp-boot=tag:!ipxe,tag:!efi64,undionly.kpxe',
      'dhcp-host=52:54:00:50:00:11,192.168.50.11,cp1',
      'dhcp-host=52:54:00:50:00:21,192.168.50.21,w1',
      'dhcp-host=52:54:00:50:00:22,192.168.50.22,w2',
    ]);
    needTools(ctx, 'dnsmasq:dnsmasq-base');
    const ok = run('dnsmasq', ['--test', '-C', join(tree, 'netboot', 'dnsmasq.conf')]);
    expect(ok.status, ok.stderr).toBe(0);
    // It can fail: a line dnsmasq does not know is refused.
    writeFileSync(join(tree, 'bad.conf'), `${dnsmasq}dhcp-bogus=1\n`);
    expect(run('dnsmasq', ['--test', '-C', join(tree, 'bad.conf')]).status).not.toBe(0);
  });

  it('writes no netboot files without spec.netboot or --netboot', async () => {
    const { tree } = await compiled(profileText('pl', '{ family: debian, version: "12" }', ''), 'pl');
    expect(readdirSync(tree).sort()).toEqual(['admin.conf', 'manifest.json', 'nodes']);
    expect(readdirSync(join(tree, 'nodes', 'w1')).sort()).toEqual(['meta-data', 'network-config', 'user-data']);
  });

  it('refuses a --netboot that is not a plain URL, and a command line Linux would cut (exit 2, nothing written)', async () => {
    const { out } = await compiled(profileText('bd', '{ family: debian, version: "12" }'), 'bd');
    const file = join(out, 'profile.yaml');
    const before = readFileSync(join(out, 'bd', 'manifest.json'), 'utf8');
    const bad = await cli('compile', file, '--out', out, '--netboot', 'http://h/a b');
    expect([bad.code, bad.err]).toEqual([2, 'kubeseed compile: --netboot must be an http(s) URL without query, credentials or spaces, like http://192.168.10.2:8080/, got "http://h/a b"\n']);
    const long = `http://${'a'.repeat(60)}.example:8080/${'p'.repeat(1700)}/`;
    const cut = await cli('compile', file, '--out', out, '--netboot', long);
    expect(cut.code).toBe(2);
    expect(cut.err).toMatch(/^error: node cp1: its kernel command line is \d+ bytes at http:\/\/a+\.example:8080\/p+\/, over Linux's 2047; shorten spec\.netboot\.args or the URL$/m);
    expect(readFileSync(join(out, 'bd', 'manifest.json'), 'utf8')).toBe(before);
  });
});
