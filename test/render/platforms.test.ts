import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { renderForPlatform } from '../../src/render/node.js';
import { gzipUserData, metaDataGuestinfo, platformFiles } from '../../src/render/platforms.js';
import { planFromFile } from '../builders/plan.js';
import { needTools, run } from '../helpers/tools.js';

const big = { path: 'nodes/cp1/user-data', content: `#cloud-config\n${'write_files: []\n'.repeat(1200)}`, mode: 0o600 };
const small = { path: 'nodes/w1/user-data', content: '#cloud-config\nhostname: w1\n', mode: 0o600 };

describe('platform user-data limits', () => {
  it('EC2 refuses a raw user-data over 16384 bytes and names the way out', () => {
    const r = platformFiles('ec2', big, false);
    expect(r.error).toBe(`nodes/cp1/user-data is ${big.content.length} bytes, over EC2's 16384-byte user-data limit; compile with --gzip (cloud-init reads gzip user-data), or boot from the seed ISO (--iso)`);
    expect(r.files).toEqual([]);
  });

  it('with --gzip the same user-data fits, and the gzip is deterministic and lossless', () => {
    const r = platformFiles('ec2', big, true);
    expect(r.error).toBeUndefined();
    expect(r.files.map((f) => [f.path, f.mode])).toEqual([['nodes/cp1/user-data.gz', 0o600]]);
    const gz = r.files[0]!.content as Buffer;
    expect(gunzipSync(gz).toString()).toBe(big.content);
    expect(gz.equals(gzipUserData(big.content))).toBe(true);
    expect(gz.subarray(4, 8).readUInt32LE()).toBe(0); // no mtime in the gzip header
  });

  it('OpenStack counts the base64 form', () => {
    const content = 'x'.repeat(49152); // 65536 bytes in base64
    expect(platformFiles('openstack', { ...small, content }, false).error).toBe('nodes/w1/user-data is 65536 bytes base64-encoded, over OpenStack Nova\'s 65535-byte user-data limit; compile with --gzip (cloud-init reads gzip user-data), or boot from the seed ISO (--iso)');
    expect(platformFiles('openstack', { ...small, content: 'x'.repeat(49149) }, false).error).toBeUndefined();
  });

  it('vSphere gets guestinfo values with their encoding in the file name', () => {
    const plain = platformFiles('vsphere', small, false).files;
    expect(plain.map((f) => f.path)).toEqual(['nodes/w1/guestinfo.userdata.base64']);
    expect(Buffer.from(String(plain[0]!.content), 'base64').toString()).toBe(small.content);
    const gz = platformFiles('vsphere', small, true).files;
    expect(gz.map((f) => f.path)).toEqual(['nodes/w1/user-data.gz', 'nodes/w1/guestinfo.userdata.gzip+base64']);
    expect(gunzipSync(Buffer.from(String(gz[1]!.content), 'base64')).toString()).toBe(small.content);
    const meta = metaDataGuestinfo('nodes/w1', 'instance-id: x\n');
    expect(meta).toEqual({ path: 'nodes/w1/guestinfo.metadata.base64', content: `${Buffer.from('instance-id: x\n').toString('base64')}\n`, mode: 0o644 });
  });

  it('NoCloud, Proxmox and libvirt have no limit', () => {
    for (const p of ['nocloud', 'proxmox', 'libvirt'] as const) expect(platformFiles(p, big, false)).toEqual({ files: [] });
  });
});

describe('vSphere guestinfo.metadata, read by cloud-init\'s own VMware datasource', () => {
  it('asks cloud-init to overwrite guestinfo.userdata once read, since user-data stages the secrets', (ctx) => {
    needTools(ctx, 'cloud-init:cloud-init');
    // The Python cloud-init runs under (its script's #! line), which has its modules.
    const python = readFileSync(run('sh', ['-c', 'command -v cloud-init']).stdout.trim(), 'utf8').split('\n')[0]!.replace(/^#!\s*/, '').split(' ')[0]!;
    const plan = planFromFile('profiles/ha.yaml');
    const dir = mkdtempSync(join(tmpdir(), 'kubeseed-guestinfo-'));
    try {
      // A stand-in for vmware-rpctool that records what the datasource asks of it.
      const rpctool = join(dir, 'vmware-rpctool');
      writeFileSync(rpctool, `#!/bin/sh\nprintf '%s\\n' "$*" >>${dir}/calls\n`, { mode: 0o755 });
      for (const name of ['cp1', 'w1']) {
        const files = renderForPlatform(plan, plan.nodes.find((n) => n.name === name)!, 'vsphere', true).files;
        const meta = files.find((f) => f.path.endsWith('/guestinfo.metadata.base64'))!;
        // The datasource object as get_data leaves it, then its own redact_keys().
        const py = [
          'import base64, sys',
          'from cloudinit.sources import DataSourceVMware as m',
          'ds = object.__new__(m.DataSourceVMware)',
          'ds.metadata = m.process_metadata(m.load_json_or_yaml(base64.b64decode(sys.argv[1]).decode()))',
          'ds.data_access_method = m.DATA_ACCESS_METHOD_GUESTINFO',
          'ds.vmware_rpctool = sys.argv[2]',
          'ds.redact_keys()',
          "print(ds.metadata['instance-id'], ds.metadata['local-hostname'])",
        ].join('\n');
        writeFileSync(join(dir, 'calls'), '');
        const r = run(python, ['-c', py, String(meta.content).trim(), rpctool]);
        expect(r.status, r.stderr).toBe(0);
        expect(r.stdout).toBe(`kubeseed-ha-${name} ${name}\n`);
        expect(readFileSync(join(dir, 'calls'), 'utf8')).toBe('info-set guestinfo.userdata ---\ninfo-set guestinfo.userdata.encoding  \n');
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
