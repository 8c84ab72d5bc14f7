import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { gzipUserData, metaDataGuestinfo, platformFiles } from '../../src/render/platforms.js';

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
