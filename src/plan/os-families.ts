/**
 * What differs per OS family, in one frozen table (the README's OS table mirrors it).
 */
import type { OsFamily } from './types.js';

/**
 * chrony's layout in a family's package: where kubeseed's NTP servers go (see
 * render/os/chrony.ts for how the os phase applies them).
 */
export interface ChronyLayout {
  /** Main configuration file of the family's chrony package. */
  readonly conf: string;
  /** `sourcedir` the stock chrony.conf reads, or '' when it reads none from /etc. */
  readonly sourcesDir: string;
  /** systemd unit name. */
  readonly service: string;
}

const DEBIAN_CHRONY: ChronyLayout = { conf: '/etc/chrony/chrony.conf', sourcesDir: '/etc/chrony/sources.d', service: 'chrony' };
const RHEL_CHRONY: ChronyLayout = { conf: '/etc/chrony.conf', sourcesDir: '', service: 'chronyd' };

export interface FamilyFacts {
  /** cloud-init or Ignition, unless compile --format says otherwise. */
  readonly format: 'cloud-init' | 'ignition';
  readonly defaultIptables: 'legacy' | 'nft';
  /** Whether the family has SELinux at all (Debian/Ubuntu ship it off). */
  readonly hasSelinux: boolean;
  readonly firewall: 'ufw' | 'firewalld' | 'none';
  readonly packageManager: 'apt' | 'dnf' | 'none';
  /** The iptables backend is switched with update-alternatives (Debian, Ubuntu); elsewhere nft only. */
  readonly iptablesAlternatives: boolean;
  /** Flatcar/FCOS keep /usr read-only: binaries go to /opt/bin there, /usr/local/bin elsewhere. */
  readonly binDir: string;
  /** Where the first-boot script lives (kubeseed-firstboot), e.g. /usr/local/sbin. */
  readonly sbinDir: string;
  /** Where lib.sh and phases/ live, e.g. /usr/local/lib/kubeseed. */
  readonly libDir: string;
  /** Flatcar/FCOS ship containerd: configure, do not install. */
  readonly shipsContainerd: boolean;
  /**
   * The OS's own containerd.service starts containerd with a config file of its own, so a
   * drop-in must reset ExecStart for /etc/containerd/config.toml to apply.
   */
  readonly containerdOwnConfig: boolean;
  /**
   * What brings up the static address when the output is Ignition: Flatcar runs
   * systemd-networkd, Fedora CoreOS runs NetworkManager (a networkd unit there is ignored).
   * cloud-init outputs carry network-config instead and let cloud-init pick the renderer.
   */
  readonly network: 'networkd' | 'networkmanager';
  /**
   * Groups the access user joins when the output is Ignition. On Flatcar and FCOS the `sudo`
   * group grants passwordless sudo; cloud-init outputs carry a sudoers rule instead.
   */
  readonly adminGroups: readonly string[];
  /** chrony's layout, or null where the family keeps systemd-timesyncd (Flatcar). */
  readonly chrony: ChronyLayout | null;
}

export const OS_FAMILIES: Readonly<Record<OsFamily, FamilyFacts>> = Object.freeze({
  ubuntu: { format: 'cloud-init', defaultIptables: 'legacy', hasSelinux: false, firewall: 'ufw', packageManager: 'apt', iptablesAlternatives: true, binDir: '/usr/local/bin', sbinDir: '/usr/local/sbin', libDir: '/usr/local/lib/kubeseed', shipsContainerd: false, containerdOwnConfig: false, network: 'networkd', adminGroups: [], chrony: DEBIAN_CHRONY },
  debian: { format: 'cloud-init', defaultIptables: 'legacy', hasSelinux: false, firewall: 'ufw', packageManager: 'apt', iptablesAlternatives: true, binDir: '/usr/local/bin', sbinDir: '/usr/local/sbin', libDir: '/usr/local/lib/kubeseed', shipsContainerd: false, containerdOwnConfig: false, network: 'networkd', adminGroups: [], chrony: DEBIAN_CHRONY },
  rocky: { format: 'cloud-init', defaultIptables: 'nft', hasSelinux: true, firewall: 'firewalld', packageManager: 'dnf', iptablesAlternatives: false, binDir: '/usr/local/bin', sbinDir: '/usr/local/sbin', libDir: '/usr/local/lib/kubeseed', shipsContainerd: false, containerdOwnConfig: false, network: 'networkmanager', adminGroups: [], chrony: RHEL_CHRONY },
  rhel: { format: 'cloud-init', defaultIptables: 'nft', hasSelinux: true, firewall: 'firewalld', packageManager: 'dnf', iptablesAlternatives: false, binDir: '/usr/local/bin', sbinDir: '/usr/local/sbin', libDir: '/usr/local/lib/kubeseed', shipsContainerd: false, containerdOwnConfig: false, network: 'networkmanager', adminGroups: [], chrony: RHEL_CHRONY },
  // Flatcar: /usr is read-only and /opt/bin is on PATH; SELinux runs permissive out of the box
  // and kubeseed leaves it so; networkd configures the network; `sudo` is passwordless;
  // systemd-timesyncd keeps time, not chrony. Its
  // containerd.service reads /usr/share/containerd/config.toml (Flatcar docs, "Customizing
  // Docker": "Use a custom containerd configuration").
  flatcar: { format: 'ignition', defaultIptables: 'nft', hasSelinux: false, firewall: 'none', packageManager: 'none', iptablesAlternatives: false, binDir: '/opt/bin', sbinDir: '/opt/kubeseed/bin', libDir: '/opt/kubeseed/lib', shipsContainerd: true, containerdOwnConfig: true, network: 'networkd', adminGroups: ['sudo'], chrony: null },
  // FCOS: /usr is read-only but /usr/local is a link to the writable /var/usrlocal, on PATH and in
  // sudo's secure_path, and SELinux (enforcing by default) labels it like /usr/local (bin_t).
  // Files under /opt (really /var/opt) get var_t, which systemd may not execute under
  // enforcing; so FCOS keeps everything under /usr/local. NetworkManager owns the network;
  // `sudo` is passwordless (`wheel` asks for a password the access user does not have).
  fcos: { format: 'ignition', defaultIptables: 'nft', hasSelinux: true, firewall: 'none', packageManager: 'none', iptablesAlternatives: false, binDir: '/usr/local/bin', sbinDir: '/usr/local/sbin', libDir: '/usr/local/lib/kubeseed', shipsContainerd: true, containerdOwnConfig: false, network: 'networkmanager', adminGroups: ['sudo'], chrony: RHEL_CHRONY },
});
