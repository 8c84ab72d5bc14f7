/** RHEL-family 8/9 package no iptables-legacy: asking for it is a compile-time error at its line. */
import { describe, expect, it } from 'vitest';
import { parseProfile } from '../../../src/profile/load.js';
import { formatDiagnostic } from '../../../src/profile/diagnostics.js';

function profile(family: string, version: string, iptables: string): string {
  return `apiVersion: kubeseed.io/v1alpha1
kind: ClusterProfile
metadata: { name: legacy }
spec:
  kubernetes: { version: v1.31.12 }
  os:
    family: ${family}
    version: "${version}"
    iptables: ${iptables}
  nodes:
    - { name: cp1, role: control-plane, ip: 192.168.10.11/24, gateway: 192.168.10.1, mac: "52:54:00:00:10:11" }
`;
}

describe('iptables: legacy per family', () => {
  it.each([
    ['rhel', '9', 'RHEL 8/9'],
    ['rhel', '8', 'RHEL 8/9'],
    ['rocky', '9', 'Rocky Linux 8/9'],
  ])('%s %s is rejected at spec.os.iptables with why and what to use', (family, version, name) => {
    const r = parseProfile(profile(family, version, 'legacy'), 'p.yaml');
    expect(r.profile).toBeUndefined();
    expect(r.diagnostics).toHaveLength(1);
    const d = r.diagnostics[0]!;
    expect([d.severity, d.code, d.path, d.line, d.col]).toEqual(['error', 'iptables-legacy-unavailable', ['spec', 'os', 'iptables'], 9, 15]);
    expect(formatDiagnostic(d)).toBe(`p.yaml:9:15 error spec.os.iptables: ${name} ship only the nftables backend of iptables (iptables-nft); iptables-legacy is not packaged; set iptables: nft (kube-proxy and CNI plugins detect the nft backend)`);
  });

  it.each([['rhel', '9', 'nft'], ['ubuntu', '22.04', 'legacy'], ['debian', '12', 'legacy']])('%s %s with %s is accepted', (family, version, mode) => {
    const r = parseProfile(profile(family, version, mode), 'p.yaml');
    expect(r.diagnostics).toEqual([]);
    expect(r.profile?.spec.os.iptables).toBe(mode);
  });
});
