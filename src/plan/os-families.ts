/**
 * What differs per OS family, in one frozen table (the README's OS table mirrors it).
 */
import type { OsFamily } from './types.js';

export interface FamilyFacts {
  readonly format: 'cloud-init' | 'ignition';
  readonly defaultIptables: 'legacy' | 'nft';
  readonly hasSelinux: boolean;
  readonly firewall: 'ufw' | 'firewalld' | 'none';
  readonly packageManager: 'apt' | 'dnf' | 'none';
  readonly binDir: string;
  readonly sbinDir: string;
  readonly libDir: string;
  readonly shipsContainerd: boolean;
}

export const OS_FAMILIES: Readonly<Record<OsFamily, FamilyFacts>> = Object.freeze({
  ubuntu: { format: 'cloud-init', defaultIptables: 'legacy', hasSelinux: false, firewall: 'ufw', packageManager: 'apt', binDir: '/usr/local/bin', sbinDir: '/usr/local/sbin', libDir: '/usr/local/lib/kubeseed', shipsContainerd: false },
  debian: { format: 'cloud-init', defaultIptables: 'legacy', hasSelinux: false, firewall: 'ufw', packageManager: 'apt', binDir: '/usr/local/bin', sbinDir: '/usr/local/sbin', libDir: '/usr/local/lib/kubeseed', shipsContainerd: false },
  rocky: { format: 'cloud-init', defaultIptables: 'nft', hasSelinux: true, firewall: 'firewalld', packageManager: 'dnf', binDir: '/usr/local/bin', sbinDir: '/usr/local/sbin', libDir: '/usr/local/lib/kubeseed', shipsContainerd: false },
  rhel: { format: 'cloud-init', defaultIptables: 'nft', hasSelinux: true, firewall: 'firewalld', packageManager: 'dnf', binDir: '/usr/local/bin', sbinDir: '/usr/local/sbin', libDir: '/usr/local/lib/kubeseed', shipsContainerd: false },
  flatcar: { format: 'ignition', defaultIptables: 'nft', hasSelinux: false, firewall: 'none', packageManager: 'none', binDir: '/opt/bin', sbinDir: '/opt/kubeseed/bin', libDir: '/opt/kubeseed/lib', shipsContainerd: true },
  fcos: { format: 'ignition', defaultIptables: 'nft', hasSelinux: true, firewall: 'none', packageManager: 'none', binDir: '/opt/bin', sbinDir: '/opt/kubeseed/bin', libDir: '/opt/kubeseed/lib', shipsContainerd: true },
});
