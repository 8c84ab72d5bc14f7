/**
 * The ways out the compiler gives for a node over the platform's limit (README, "VM templates and
 * clouds"), checked with the real consumers: cloud-init's own user-data processor (the code that
 * runs at boot) follows "#include <URL>" to a server on 127.0.0.1 and must end up with exactly the
 * node's #cloud-config from user-data.gz; ignition-validate accepts the pointer config.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { renderForPlatform } from '../../src/render/node.js';
import { flatcarText, planWithFixtureState } from '../builders/fixture-state.js';
import { needTools, run } from '../helpers/tools.js';

const PROCESS = `
import sys, tempfile
from cloudinit.helpers import Paths
from cloudinit.user_data import UserDataProcessor
d = tempfile.mkdtemp()
msg = UserDataProcessor(Paths({'cloud_dir': d, 'run_dir': d})).process(sys.stdin.buffer.read())
for part in msg.walk():
    if part.get_content_type() == 'text/cloud-config':
        sys.stdout.buffer.write(part.get_payload(decode=True))
`;

/** Runs PROCESS with the Python cloud-init itself runs with (its entry point's #! line). */
function cloudInitProcess(input: string): Promise<{ status: number | null; stdout: string; stderr: string }> {
  const entry = run('sh', ['-c', 'command -v cloud-init']).stdout.trim();
  const python = readFileSync(entry, 'utf8').split('\n')[0]!.slice(2).trim();
  return new Promise((resolve, reject) => {
    const p = spawn(python, ['-c', PROCESS]);
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (d) => (stdout += d));
    p.stderr.on('data', (d) => (stderr += d));
    p.on('error', reject);
    p.on('close', (status) => resolve({ status, stdout, stderr }));
    p.stdin.end(input);
  });
}

describe('a node over EC2\'s limit, the way the error says', () => {
  it('cloud-init follows "#include <URL>" to user-data.gz and reads the whole #cloud-config', async (ctx) => {
    needTools(ctx, 'cloud-init:cloud-init');
    const plan = planWithFixtureState(readFileSync('profiles/ha.yaml', 'utf8'), { platform: 'ec2' });
    const r = renderForPlatform(plan, plan.nodes[0]!, true);
    expect(r.error).toContain('give the node as user-data only the two lines "#include" and that URL');
    const userData = String(r.files.find((f) => f.path.endsWith('/user-data'))!.content);
    const gz = r.files.find((f) => f.path.endsWith('/user-data.gz'))!.content as Buffer;
    const server = createServer((req, res) => (req.url === '/cp1.gz' ? res.writeHead(200).end(gz) : res.writeHead(404).end()));
    await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
    try {
      const out = await cloudInitProcess(`#include\nhttp://127.0.0.1:${(server.address() as AddressInfo).port}/cp1.gz\n`);
      expect(out.status, out.stderr).toBe(0);
      expect(out.stdout).toBe(userData);
    } finally {
      await new Promise((ok) => server.close(ok));
    }
  });

  it('the Ignition pointer config is valid Ignition 3.3.0', (ctx) => {
    needTools(ctx, 'ignition-validate:ignition');
    const plan = planWithFixtureState(flatcarText('profiles/lab.yaml'), { platform: 'ec2' });
    const error = renderForPlatform(plan, plan.nodes[0]!, false).error!;
    const file = join(mkdtempSync(join(tmpdir(), 'kubeseed-pointer-')), 'pointer.ign');
    writeFileSync(file, /only (\{.*\})$/.exec(error)![1]!.replace('"URL"', '"s3://bucket/lab1.ign"'));
    const v = run('ignition-validate', [file]);
    expect(v.stdout + v.stderr).toBe('');
    expect(v.status).toBe(0);
  });
});
