import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import type { ClusterPlan, NodePlan } from '../../src/plan/types.js';
import { renderForPlatform } from '../../src/render/node.js';
import { gzipUserData, metaDataGuestinfo, platformFiles } from '../../src/render/platforms.js';
import { flatcarText, planWithFixtureState, REPO } from '../builders/fixture-state.js';
import { EXAMPLE_PROFILES, FAKE_SECRETS, planFromFile } from '../builders/plan.js';
import { needTools, run } from '../helpers/tools.js';

const big = { path: 'nodes/cp1/user-data', content: `#cloud-config\n${'write_files: []\n'.repeat(1200)}`, mode: 0o600 };
const small = { path: 'nodes/w1/user-data', content: '#cloud-config\nhostname: w1\n', mode: 0o600 };

describe('platform user-data limits', () => {
  it('EC2 refuses a raw user-data over 16384 bytes and names the way out', () => {
    const r = platformFiles('ec2', big, false);
    expect(r.error).toBe(`nodes/cp1/user-data is ${big.content.length} bytes, over EC2's 16384-byte user-data limit; compile with --gzip (cloud-init reads gzip user-data; ${gzipUserData(big.content).byteLength} bytes here)`);
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
    expect(platformFiles('openstack', { ...small, content }, false).error).toBe(`nodes/w1/user-data is 65536 bytes base64-encoded, over OpenStack Nova's 65535-byte user-data limit; compile with --gzip (cloud-init reads gzip user-data; ${4 * Math.ceil(gzipUserData(content).byteLength / 3)} bytes here)`);
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

const SERVE = 'serve user-data.gz from a URL the node can reach (it carries this node\'s secrets: keep the URL private and short-lived), e.g. an S3 presigned URL on EC2, '
  + 'and give the node as user-data only the two lines "#include" and that URL (cloud-init fetches it and reads gzip too); or boot from the seed ISO (--iso) where the platform can attach one';

describe('a user-data that does not fit even gzipped', () => {
  it('gets the way out that works: serve it and include it', () => {
    const content = randomBytes(20_000).toString('base64'); // incompressible
    const gz = gzipUserData(content).byteLength;
    expect(platformFiles('ec2', { ...small, content }, true).error).toBe(`nodes/w1/user-data (gzip) is ${gz} bytes, over EC2's 16384-byte user-data limit; ${SERVE}`);
    expect(platformFiles('ec2', { ...small, content }, false).error).toBe(`nodes/w1/user-data is ${content.length} bytes, over EC2's 16384-byte user-data limit; gzipped it is still ${gz} bytes: compile with --gzip and ${SERVE}`);
  });
});

/** The user-data as rendered for the plan's platform, and its size raw and gzipped. */
function sizes(plan: ClusterPlan, node: NodePlan): { raw: number; gz: number } {
  const userData = renderForPlatform(plan, node, false).files.find((f) => f.path.endsWith('/user-data'))!.content;
  return { raw: Buffer.byteLength(userData), gz: gzipUserData(userData).byteLength };
}

describe.each(EXAMPLE_PROFILES)('the real user-data of %s (real-sized keys)', (profile) => {
  const text = readFileSync(join(REPO, profile), 'utf8');
  const limit = "over EC2's 16384-byte user-data limit";

  it('EC2: no node fits, even gzipped; each is told to serve and include it', () => {
    const plan = planWithFixtureState(text, { platform: 'ec2' });
    for (const node of plan.nodes) {
      const { raw, gz } = sizes(plan, node);
      expect(renderForPlatform(plan, node, false).error).toBe(`nodes/${node.name}/user-data is ${raw} bytes, ${limit}; gzipped it is still ${gz} bytes: compile with --gzip and ${SERVE}`);
      expect(renderForPlatform(plan, node, true).error).toBe(`nodes/${node.name}/user-data (gzip) is ${gz} bytes, ${limit}; ${SERVE}`);
    }
  });

  it('OpenStack and vSphere: over the limit raw (base64), fitting with --gzip', () => {
    for (const platform of ['openstack', 'vsphere'] as const) {
      const plan = planWithFixtureState(text, { platform });
      for (const node of plan.nodes) {
        const { raw } = sizes(plan, node);
        expect(4 * Math.ceil(raw / 3)).toBeGreaterThan(65_536);
        expect(renderForPlatform(plan, node, false).error, `${platform} ${node.name}`).toMatch(/ bytes base64-encoded, over .*; compile with --gzip \(cloud-init reads gzip user-data; \d+ bytes here\)$/);
        expect(renderForPlatform(plan, node, true).error, `${platform} ${node.name}`).toBeUndefined();
      }
    }
  });

  it('EC2 with Ignition (Flatcar): ignition.json is checked too, and the way out is a pointer config', () => {
    const plan = planWithFixtureState(flatcarText(profile), { platform: 'ec2' });
    for (const node of plan.nodes) {
      const r = renderForPlatform(plan, node, false);
      const size = Buffer.byteLength(r.files.find((f) => f.path.endsWith('/ignition.json'))!.content);
      expect(r.error).toBe(`nodes/${node.name}/ignition.json is ${size} bytes, ${limit}; serve ignition.json from a URL the node can reach `
        + '(it carries this node\'s secrets: keep the URL private and short-lived), e.g. s3://BUCKET/KEY on EC2 (Ignition fetches it with the instance\'s role), '
        + 'and give the node as user-data only {"ignition":{"version":"3.3.0","config":{"replace":{"source":"URL"}}}}');
    }
  });
});

describe('vSphere guestinfo.metadata, read by cloud-init\'s own VMware datasource', () => {
  it('asks cloud-init to overwrite guestinfo.userdata once read, since user-data stages the secrets', (ctx) => {
    needTools(ctx, 'cloud-init:cloud-init');
    // The Python cloud-init runs under (its script's #! line), which has its modules.
    const python = readFileSync(run('sh', ['-c', 'command -v cloud-init']).stdout.trim(), 'utf8').split('\n')[0]!.replace(/^#!\s*/, '').split(' ')[0]!;
    const plan = planFromFile('profiles/ha.yaml', FAKE_SECRETS, { platform: 'vsphere' });
    const dir = mkdtempSync(join(tmpdir(), 'kubeseed-guestinfo-'));
    try {
      // A stand-in for vmware-rpctool that records what the datasource asks of it.
      const rpctool = join(dir, 'vmware-rpctool');
      writeFileSync(rpctool, `#!/bin/sh\nprintf '%s\\n' "$*" >>${dir}/calls\n`, { mode: 0o755 });
      for (const name of ['cp1', 'w1']) {
        const files = renderForPlatform(plan, plan.nodes.find((n) => n.name === name)!, true).files;
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
