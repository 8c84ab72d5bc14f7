/**
 * Time sync with chrony and the profile's NTP servers. kubeseed lays its server lines at
 * /etc/kubeseed/chrony.sources; the os phase puts them in chrony's drop-in directory when the
 * distribution's chrony.conf reads one (chrony >= 4.0 has `sourcedir`, which reads *.sources
 * files; Debian/Ubuntu packages point it at /etc/chrony/sources.d; the phase checks for the
 * line rather than trusting this), else in a marked block of chrony.conf (RHEL/Rocky read no
 * such directory from /etc), and comments out the distribution's own pool/server lines.
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
