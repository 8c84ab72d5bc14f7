/** The unit-file serializer, and the checker unit read back by systemd's own verifier. */
import { chmodSync, cpSync, existsSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { renderCheckerUnit } from '../../../src/render/ipvs/files.js';
import { nodeFiles } from '../../../src/render/node.js';
import { renderUnit } from '../../../src/render/systemd/unit.js';
import { EXAMPLE_PROFILES, planFromFile, planFromText } from '../../builders/plan.js';
import { needTools, run } from '../../helpers/tools.js';

describe('renderUnit', () => {
  it('prints sections in systemd order, keys in insertion order, lists as repeated keys', () => {
    expect(renderUnit({
      Install: { WantedBy: ['multi-user.target', 'kubelet.service'] },
      Service: { Type: 'oneshot', RemainAfterExit: true, TimeoutSec: 0, ExecStart: '/bin/echo a b' },
      Unit: { Description: 'x', After: ['a.target', 'b.target'], DefaultDependencies: false },
      comment: ['made by a test', ''],
    })).toBe([
      '# made by a test',
      '#',
      '',
      '[Unit]',
      'Description=x',
      'After=a.target',
      'After=b.target',
      'DefaultDependencies=no',
      '',
      '[Service]',
      'Type=oneshot',
      'RemainAfterExit=yes',
      'TimeoutSec=0',
      'ExecStart=/bin/echo a b',
      '',
      '[Install]',
      'WantedBy=multi-user.target',
      'WantedBy=kubelet.service',
      '',
    ].join('\n'));
  });

  it('starts with the first section when there is no comment, and keeps an empty list empty', () => {
    expect(renderUnit({ Unit: { Description: 'y', Wants: [] } })).toBe('[Unit]\nDescription=y\n');
  });

  it('refuses values and names that would break the line structure', () => {
    expect(() => renderUnit({ Service: { ExecStart: '/bin/a\nExecStart=/bin/b' } })).toThrow('ExecStart= value cannot contain a newline');
    expect(() => renderUnit({ Service: { ExecStart: '/bin/a \\' } })).toThrow('end in a backslash');
    expect(() => renderUnit({ Unit: { After: ['a.target', 'b\r'] } })).toThrow('After= value cannot contain a newline');
    expect(() => renderUnit({ Unit: { 'Bad Key': 'x' } })).toThrow('bad directive name "Bad Key" in [Unit]');
    expect(() => renderUnit({ comment: ['a\nb'] })).toThrow('comment lines cannot contain newlines');
  });
});

describe('kubeseed-lb-checker.service', () => {
  it('is the unit the issue asks for', () => {
    const plan = planFromFile('profiles/ha.yaml');
    expect(renderCheckerUnit(plan, plan.nodes.find((n) => n.name === 'w1')!)).toBe(`\
# kubeseed: IPVS load balancer for the apiservers at 10.103.97.2:6443 (cluster ha).

[Unit]
Description=kubeseed apiserver load balancer health checker (10.103.97.2:6443)
Documentation=file:/usr/local/sbin/kubeseed-lb-checker
Wants=network-online.target
After=network-online.target
Before=kubelet.service
StartLimitIntervalSec=0

[Service]
Type=simple
ExecStart=/usr/local/sbin/kubeseed-lb-checker
Restart=always
RestartSec=1

[Install]
WantedBy=multi-user.target
`);
  });

  it("points ExecStart at the OS family's script directory (Flatcar keeps /usr read-only)", () => {
    const text = run('cat', ['profiles/ha.yaml']).stdout.replace('family: ubuntu', 'family: flatcar').replace('version: "22.04"', 'version: "3975"');
    const plan = planFromText(text);
    const unit = renderCheckerUnit(plan, plan.nodes.find((n) => n.name === 'w1')!);
    expect(unit.split('\n')).toContain('ExecStart=/opt/kubeseed/bin/kubeseed-lb-checker');
  });

  it.for(EXAMPLE_PROFILES)('%s: systemd-analyze verify accepts every node\'s unit with its script in place', (profile, ctx) => {
    needTools(ctx, 'systemd-analyze:systemd');
    const plan = planFromFile(profile);
    for (const node of plan.nodes) {
      const files = nodeFiles(plan, node);
      const unit = files.find((f) => f.path === '/etc/systemd/system/kubeseed-lb-checker.service');
      if (!node.runsLb) {
        expect(unit).toBeUndefined();
        continue;
      }
      // A root with the host's unit library (for multi-user.target and friends) and the node's files.
      const root = mkdtempSync(join(tmpdir(), 'kubeseed-systemd-'));
      mkdirSync(join(root, 'usr/lib/systemd'), { recursive: true });
      if (existsSync('/usr/lib/systemd/system')) cpSync('/usr/lib/systemd/system', join(root, 'usr/lib/systemd/system'), { recursive: true });
      for (const f of files) {
        mkdirSync(dirname(join(root, f.path)), { recursive: true });
        writeFileSync(join(root, f.path), f.content);
        chmodSync(join(root, f.path), f.mode);
      }
      const r = run('systemd-analyze', ['verify', `--root=${root}`, '/etc/systemd/system/kubeseed-lb-checker.service']);
      expect(r.stdout + r.stderr).toBe('');
      expect(r.status).toBe(0);
    }
  });
});
