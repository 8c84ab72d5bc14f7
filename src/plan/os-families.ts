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
  /**
   * The OS's own containerd.service starts containerd with a config file of its own, so a
   * drop-in must reset ExecStart for /etc/containerd/config.toml to apply.
   */
  readonly containerdOwnConfig: boolean;
  readonly network: 'networkd' | 'networkmanager';
  readonly adminGroups: readonly string[];
}

export const OS_FAMILIES: Readonly<Record<OsFamily, FamilyFacts>> = Object.freeze({
  ubuntu: { format: 'cloud-init', defaultIptables: 'legacy', hasSelinux: false, firewall: 'ufw', packageManager: 'apt', binDir: '/usr/local/bin', sbinDir: '/usr/local/sbin', libDir: '/usr/local/lib/kubeseed', shipsContainerd: false, containerdOwnConfig: false, network: 'networkd', adminGroups: [] },
  debian: { format: 'cloud-init', defaultIptables: 'legacy', hasSelinux: false, firewall: 'ufw', packageManager: 'apt', binDir: '/usr/local/bin', sbinDir: '/usr/local/sbin', libDir: '/usr/local/lib/kubeseed', shipsContainerd: false, containerdOwnConfig: false, network: 'networkd', adminGroups: [] },
  rocky: { format: 'cloud-init', defaultIptables: 'nft', hasSelinux: true, firewall: 'firewalld', packageManager: 'dnf', binDir: '/usr/local/bin', sbinDir: '/usr/local/sbin', libDir: '/usr/local/lib/kubeseed', shipsContainerd: false, containerdOwnConfig: false, network: 'networkmanager', adminGroups: [] },
  rhel: { format: 'cloud-init', defaultIptables: 'nft', hasSelinux: true, firewall: 'firewalld', packageManager: 'dnf', binDir: '/usr/local/bin', sbinDir: '/usr/local/sbin', libDir: '/usr/local/lib/kubeseed', shipsContainerd: false, containerdOwnConfig: false, network: 'networkmanager', adminGroups: [] },
  // Flatcar: /usr is read-only and /opt/bin is on PATH; SELinux runs permissive out of the box
  // and kubeseed leaves it so; networkd configures the network; `sudo` is passwordless. Its
  // containerd.service reads /usr/share/containerd/config.toml (Flatcar docs, "Customizing
  // Docker": "Use a custom containerd configuration").
  flatcar: { format: 'ignition', defaultIptables: 'nft', hasSelinux: false, firewall: 'none', packageManager: 'none', binDir: '/opt/bin', sbinDir: '/opt/kubeseed/bin', libDir: '/opt/kubeseed/lib', shipsContainerd: true, containerdOwnConfig: true, network: 'networkd', adminGroups: ['sudo'] },
  // FCOS: /usr is read-only but /usr/local is a link to the writable /var/usrlocal, on PATH and in
  // sudo's secure_path, and SELinux (enforcing by default) labels it like /usr/local (bin_t).
  // Files under /opt (really /var/opt) get var_t, which systemd may not execute under
  // enforcing; so FCOS keeps everything under /usr/local. NetworkManager owns the network;
  // `sudo` is passwordless (`wheel` asks for a password the access user does not have).
  fcos: { format: 'ignition', defaultIptables: 'nft', hasSelinux: true, firewall: 'none', packageManager: 'none', binDir: '/usr/local/bin', sbinDir: '/usr/local/sbin', libDir: '/usr/local/lib/kubeseed', shipsContainerd: true, containerdOwnConfig: false, network: 'networkmanager', adminGroups: ['sudo'] },
});
