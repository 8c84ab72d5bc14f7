/** Every OS release a profile may name has its package repositories in the version table, and no other. */
import { describe, expect, it } from 'vitest';
import { osPackagePlan } from '../../src/plan/os-packages.js';
import { versionTable } from '../../src/plan/versions.js';
import { OS_VERSIONS } from '../../src/profile/validate.js';

describe('osPackages.releases', () => {
  const supported = Object.entries(OS_VERSIONS).flatMap(([family, versions]) => (versions ?? []).map((v) => `${family}-${v}`)).sort();

  it('has a row for exactly the releases profiles accept', () => {
    expect(Object.keys(versionTable().osPackages.releases).sort()).toEqual(supported);
  });

  it('expands the rpm architecture in dnf repository paths and ids', () => {
    const p = osPackagePlan({ family: 'rocky', version: '9', arch: 'arm64', ntp: true })!;
    expect(p.repositories).toMatchObject({ manager: 'dnf', repos: [{ id: 'baseos', path: '9/BaseOS/aarch64/os' }, { id: 'appstream', path: '9/AppStream/aarch64/os' }] });
    expect(p.names.at(-1)).toBe('chrony');
    const r = osPackagePlan({ family: 'rhel', version: '8', arch: 'amd64', ntp: false })!;
    expect(r.repositories).toMatchObject({ repos: [{ id: 'rhel-8-for-x86_64-baseos-rpms', path: 'content/dist/rhel8/8/x86_64/baseos/os' }, { id: 'rhel-8-for-x86_64-appstream-rpms' }] });
    expect(osPackagePlan({ family: 'flatcar', version: undefined, arch: 'amd64', ntp: true })).toBeNull();
  });
});
