/**
 * The preflight and secrets phases, run for real in a throw-away root (throwaway-root.ts), with
 * the files laid down as each carrier lays them: a template's user-data stages the secret files
 * under /run/kubeseed/secrets; a seed ISO's user-data carries none and the ISO, mounted where the
 * phase mounts it, holds them under kubeseed/secrets/. The secrets phase puts them in place 0600
 * only after the preflight passed, removes the staged copy, and changes nothing when run again;
 * a machine that is not the node loses the staged copy at once and gets no secret in place.
 */
import { lstatSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { planFromText } from '../builders/plan.js';
import { FAMILY_CASES } from '../golden/families.js';
import { nodeFiles } from '../../src/render/node.js';
import { publicFiles, seedSecretFiles, stagedFiles } from '../../src/render/secrets/delivery.js';
import { hasTool, needRoot, needTools, type Skippable } from '../helpers/tools.js';
import { diffSnapshots, removeThrowawayRoots, ThrowawayRoot, netOf, type FakeMachine, type FakeNet } from './throwaway-root.js';

afterAll(removeThrowawayRoots);

const PREFLIGHT = 'KS_PHASE=preflight bash /usr/local/lib/kubeseed/phases/preflight.sh';
const SECRETS = 'KS_PHASE=secrets bash /usr/local/lib/kubeseed/phases/secrets.sh';
const STAGING = '/run/kubeseed/secrets';

function canRun(ctx: Skippable): void {
  needTools(ctx, 'unshare:util-linux', 'chroot:coreutils', 'ss:iproute2', 'shred:coreutils', 'cmp:diffutils');
  needRoot(ctx, 'the throw-away root test');
}

const plan = planFromText(FAMILY_CASES.find((c) => c.id === 'ubuntu-22.04')!.text);

/** The machine: NIC eth0 with `mac`, and with `net` the node's address and default route (the preflight checks them). */
function machine(mac: string, uuid: string, files: Record<string, string> = {}, net?: FakeNet): FakeMachine {
  return { macs: { eth0: mac, lo: '00:00:00:00:00:00' }, productUuid: uuid, packageManager: 'apt', installed: [], files, selinux: '', ...(net ? { net } : {}) };
}

const modeOf = (root: ThrowawayRoot, path: string): string => (lstatSync(join(root.root, path)).mode & 0o7777).toString(8);

describe.each(['cp1', 'w1'])('secrets phase of %s (ubuntu-22.04)', (name) => {
  const node = plan.nodes.find((n) => n.name === name)!;
  const files = nodeFiles(plan, node);
  const secrets = files.filter((f) => f.secret);
  const uuid = node.productUuid ?? '4c4c4544-0000-0000-0000-000000000001';

  it('knows exactly the files that carry a secret: private keys, and the kubeadm config with the token', () => {
    expect(secrets.map((f) => f.path)).toEqual(node.secretPaths);
    for (const f of files) {
      const text = Buffer.from(f.content).toString('utf8');
      if (text.includes('PRIVATE KEY') || text.includes(plan.secrets.token)) expect(node.secretPaths, f.path).toContain(f.path);
    }
    expect(node.secretPaths).toContain('/etc/kubernetes/kubeadm/kubeadm.yaml');
  });

  it('from a template\'s user-data: staged under /run, in place 0600 after the preflight, the staged copy gone; the second run changes nothing', (ctx) => {
    canRun(ctx);
    const root = new ThrowawayRoot(stagedFiles(plan, files), machine(node.mac, uuid, {}, netOf(node)));
    for (const f of secrets) expect(() => lstatSync(join(root.root, f.path))).toThrow();
    const r = root.run([PREFLIGHT, SECRETS]);
    expect(r.status, r.stdout + r.stderr).toBe(0);
    for (const f of secrets) {
      expect(root.read(f.path), f.path).toBe(f.content);
      expect(modeOf(root, f.path), f.path).toBe('600');
    }
    expect(readdirSync(join(root.root, 'run/kubeseed'))).toEqual([]);
    expect(r.stderr).toContain(`[secrets] installed ${secrets.length} of ${secrets.length} secret files from staged in ${STAGING} (0600, root): ${node.secretPaths.join(' ')}\n`);
    // The log: 0600 in a 0700 directory, and no secret in it or on the console.
    expect(modeOf(root, '/var/log/kubeseed')).toBe('700');
    expect(modeOf(root, '/var/log/kubeseed/firstboot.log')).toBe('600');
    const log = root.read('/var/log/kubeseed/firstboot.log');
    for (const text of [log, r.stdout, r.stderr]) {
      expect(text).not.toContain(plan.secrets.token);
      expect(text).not.toContain('PRIVATE KEY');
    }

    const before = root.snapshot();
    const again = root.run([PREFLIGHT, SECRETS]);
    expect(again.status, again.stderr).toBe(0);
    expect(diffSnapshots(before, root.snapshot())).toEqual([]);
    expect(again.stderr).toContain(`[secrets] all ${secrets.length} secret files already in place (no staged copy left): `);
  });

  it('from a seed ISO: its user-data carries no secret, the phase takes them from the ISO\'s kubeseed/secrets/ and keeps them when run again', (ctx) => {
    canRun(ctx);
    // The seed as the phase finds it mounted on /run/kubeseed/seed.
    const seed = Object.fromEntries(seedSecretFiles(files).map((f) => [`/run/kubeseed/seed/${f.path}`, String(f.content)]));
    const root = new ThrowawayRoot(publicFiles(files), machine(node.mac, uuid, seed, netOf(node)));
    const r = root.run([PREFLIGHT, SECRETS]);
    expect(r.status, r.stdout + r.stderr).toBe(0);
    for (const f of secrets) {
      expect(root.read(f.path), f.path).toBe(f.content);
      expect(modeOf(root, f.path), f.path).toBe('600');
    }
    expect(r.stderr).toContain(`installed ${secrets.length} of ${secrets.length} secret files from the seed ISO's kubeseed/secrets/ (0600, root)`);
    const before = root.snapshot();
    const again = root.run([SECRETS]);
    expect(again.status, again.stderr).toBe(0);
    expect(diffSnapshots(before, root.snapshot())).toEqual([]);
    expect(again.stderr).toContain(`all ${secrets.length} secret files already in place, the same as the seed ISO's kubeseed/secrets/`);
  });

  it('on a machine that is not the node: the preflight removes the staged secrets and stops; nothing else changes', (ctx) => {
    canRun(ctx);
    const root = new ThrowawayRoot(stagedFiles(plan, files), machine('52:54:00:99:99:99', uuid));
    const before = root.snapshot();
    const r = root.run([PREFLIGHT, SECRETS]);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain(`[preflight] removed the secret files staged in ${STAGING}: this machine is not node ${name}\n`);
    expect(r.stderr).toMatch(/\[preflight\] FATAL: no interface has MAC /);
    const changed = diffSnapshots(before, root.snapshot());
    expect(changed.length).toBeGreaterThan(secrets.length);
    for (const line of changed) expect(line).toMatch(/^root\/run\/kubeseed\/secrets(\/\S*)?: .* → absent$/);
    for (const f of secrets) expect(() => lstatSync(join(root.root, f.path)), f.path).toThrow();
  });

  it('on the right machine that is not ready (a port taken) the staged secrets stay for the next run', (ctx) => {
    canRun(ctx);
    needTools(ctx, 'python3:python3');
    const root = new ThrowawayRoot(stagedFiles(plan, files), machine(node.mac, uuid, {}, netOf(node)));
    const listen = "/usr/bin/python3 -c 'import socket,time; s=socket.socket(); s.bind((\"0.0.0.0\", 10250)); s.listen(); time.sleep(20)' & sleep 0.5";
    const r = root.run([PREFLIGHT], listen);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/FATAL: TCP ports 10250 are already in use/);
    for (const f of secrets) expect(root.read(`${STAGING}${f.path}`)).toBe(f.content);
  });

  it('with no seed, nothing staged and nothing in place, the phase stops and names what is missing', (ctx) => {
    canRun(ctx);
    const root = new ThrowawayRoot(publicFiles(files), machine(node.mac, uuid, {}, netOf(node)));
    const r = root.run([SECRETS]);
    expect(r.status).toBe(1);
    // Where cloud-init is installed (the root runs this machine's /usr), it says how to stage them again.
    const hint = hasTool('cloud-init') ? ' (a reboot empties /run: "cloud-init single --name write_files --frequency always" stages them again from the user-data cloud-init keeps)' : '';
    expect(r.stderr).toContain(`[secrets] FATAL: secret files missing: ${node.secretPaths.join(' ')}; they come on the seed ISO (label cidata, kubeseed/secrets/) or staged in ${STAGING} by user-data, and neither holds them all${hint}\n`);
  });
});

describe('the first-boot log', () => {
  it('an existing world-readable log and directory are made private before anything is written', (ctx) => {
    canRun(ctx);
    const node = plan.nodes.find((n) => n.name === 'w1')!;
    const root = new ThrowawayRoot(stagedFiles(plan, nodeFiles(plan, node)), machine(node.mac, node.productUuid ?? '4c4c4544-0000-0000-0000-000000000001', {
      '/var/log/kubeseed/firstboot.log': 'an older run\n',
    }, netOf(node)));
    expect(modeOf(root, '/var/log/kubeseed/firstboot.log')).toBe('644');
    expect(modeOf(root, '/var/log/kubeseed')).toBe('755');
    const r = root.run([PREFLIGHT]);
    expect(r.status, r.stderr).toBe(0);
    expect(modeOf(root, '/var/log/kubeseed/firstboot.log')).toBe('600');
    expect(modeOf(root, '/var/log/kubeseed')).toBe('700');
    expect(readFileSync(join(root.root, 'var/log/kubeseed/firstboot.log'), 'utf8')).toMatch(/^an older run\n.*\[preflight\] preflight ok/s);
  });
});
