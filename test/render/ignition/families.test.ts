/**
 * The per-family plan decisions the Ignition output and the phase scripts rely on. `packages`
 * is left out: it comes from the version table (src/plan/versions.json), not the family table.
 */
import { describe, expect, it } from 'vitest';
import type { OsPlan } from '../../../src/plan/types.js';
import { switchedPlan } from './switch.js';

function withoutPackages(os: OsPlan): Omit<OsPlan, 'packages'> {
  const { packages: _fromVersionTable, ...rest } = os;
  return rest;
}

describe('plan for Ignition families', () => {
  it('Flatcar: Ignition, /opt paths, containerd shipped, no SELinux handling, no firewall, networkd', () => {
    const os = withoutPackages(switchedPlan('profiles/ha.yaml', 'flatcar').os);
    expect(os).toEqual({
      family: 'flatcar', version: 'stable', format: 'ignition', iptables: 'nft', selinux: 'permissive',
      hasSelinux: false, firewall: 'none', packageManager: 'none', iptablesAlternatives: false,
      binDir: '/opt/bin', sbinDir: '/opt/kubeseed/bin', libDir: '/opt/kubeseed/lib',
      shipsContainerd: true, network: 'networkd', adminGroups: ['sudo'],
      // The profile names NTP servers, but Flatcar keeps systemd-timesyncd: no chrony.
      timeSync: null,
    });
  });

  it('Fedora CoreOS: Ignition, /usr/local paths (writable, bin_t-labelled), SELinux, NetworkManager', () => {
    const os = withoutPackages(switchedPlan('profiles/lab.yaml', 'fcos').os);
    expect(os).toEqual({
      family: 'fcos', version: 'stable', format: 'ignition', iptables: 'nft', selinux: 'permissive',
      hasSelinux: true, firewall: 'none', packageManager: 'none', iptablesAlternatives: false,
      binDir: '/usr/local/bin', sbinDir: '/usr/local/sbin', libDir: '/usr/local/lib/kubeseed',
      shipsContainerd: true, network: 'networkmanager', adminGroups: ['sudo'],
      timeSync: null,
    });
  });

  it('FCOS with NTP servers: chrony, in its RHEL layout', () => {
    const plan = switchedPlan('profiles/ha.yaml', 'fcos');
    expect(plan.os.timeSync).toEqual({ servers: ['ntp1.example.internal', 'ntp2.example.internal'], chrony: { conf: '/etc/chrony.conf', sourcesDir: '', service: 'chronyd' } });
  });

  it('--format cloud-init overrides the family default and says so', () => {
    const plan = switchedPlan('profiles/lab.yaml', 'flatcar', 'cloud-init');
    expect(plan.os.format).toBe('cloud-init');
    expect(plan.origins['os.format']).toEqual({ kind: 'explicit', from: '--format' });
  });
});
