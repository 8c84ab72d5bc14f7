/**
 * Time sync with chrony and the profile's NTP servers. kubeseed lays its server lines at
 * /etc/kubeseed/chrony.sources; the os phase puts them in chrony's drop-in directory where the
 * distribution's chrony.conf reads one (`sourcedir /etc/chrony/sources.d` on Debian 11+ and
 * Ubuntu 22.04+, chrony >= 4.0), else in a marked block of chrony.conf (RHEL/Rocky ship no
 * such directory), and comments out the distribution's own pool/server lines.
 */
import type { OsFamily } from '../../plan/types.js';

export const CHRONY_SOURCES = '/etc/kubeseed/chrony.sources';

export interface ChronyLayout {
  /** Main configuration file of the family's chrony package. */
  readonly conf: string;
  /** `sourcedir` the stock chrony.conf reads, or '' when it reads none from /etc. */
  readonly sourcesDir: string;
  /** systemd unit name. */
  readonly service: string;
}

const DEBIAN: ChronyLayout = { conf: '/etc/chrony/chrony.conf', sourcesDir: '/etc/chrony/sources.d', service: 'chrony' };
const RHEL: ChronyLayout = { conf: '/etc/chrony.conf', sourcesDir: '', service: 'chronyd' };

/** Flatcar keeps systemd-timesyncd: no chrony there (null). */
export const CHRONY: Readonly<Record<OsFamily, ChronyLayout | null>> = Object.freeze({
  ubuntu: DEBIAN,
  debian: DEBIAN,
  rocky: RHEL,
  rhel: RHEL,
  fcos: RHEL,
  flatcar: null,
});

export function chronySourcesText(servers: readonly string[]): string {
  return servers.map((s) => `server ${s} iburst\n`).join('');
}
