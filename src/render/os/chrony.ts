/**
 * Time sync with chrony and the profile's NTP servers. kubeseed lays its server lines at
 * /etc/kubeseed/chrony.sources; the os phase puts them in chrony's drop-in directory when the
 * distribution's chrony.conf reads one (chrony >= 4.0 has `sourcedir`, which reads *.sources
 * files; Debian/Ubuntu packages point it at /etc/chrony/sources.d; the phase checks for the
 * line rather than trusting this), else in a marked block of chrony.conf (RHEL/Rocky read no
 * such directory from /etc), and comments out the distribution's own pool/server lines. Which
 * family has chrony where is a family fact (plan/os-families.ts); the plan says whether a node
 * configures it (OsPlan.timeSync).
 */
export const CHRONY_SOURCES = '/etc/kubeseed/chrony.sources';

export function chronySourcesText(servers: readonly string[]): string {
  return servers.map((s) => `server ${s} iburst\n`).join('');
}
