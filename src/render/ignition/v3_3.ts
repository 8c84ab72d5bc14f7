/**
 * Ignition config spec 3.3.0 (coreos/ignition config/v3_3/types/schema.go), the newest version
 * Debian's ignition-validate 2.14 checks and one both Flatcar and Fedora CoreOS read. Frozen
 * once shipped: a later spec gets its own module, chosen by one table.
 *
 * The node's files are the same NodeFiles cloud-init's write_files carries; Ignition only adds
 * what cloud-init does with its own keys: /etc/hostname, the network units, the user, and one
 * systemd oneshot unit per first-boot phase in place of runcmd.
 */
import { dirname } from 'node:path';
import type { ClusterPlan, NodePlan } from '../../plan/types.js';
import { sortFiles, textFile, type NodeFile } from '../files.js';
import { toJson } from '../serialize.js';
import { dataUrl } from './data-url.js';
import { gzipSync } from 'node:zlib';
import { networkFiles } from './network.js';
import { phaseUnits } from './phase-units.js';

export const IGNITION_VERSION = '3.3.0';

/** The subset of the 3.3.0 schema kubeseed writes; field names as the spec spells them. */
export interface IgnitionV33 {
  readonly ignition: { readonly version: typeof IGNITION_VERSION };
  readonly passwd: { readonly users: readonly IgnitionUser[] };
  readonly storage: { readonly directories: readonly IgnitionDirectory[]; readonly files: readonly IgnitionFile[] };
  readonly systemd: { readonly units: readonly IgnitionUnit[] };
}

export interface IgnitionUser {
  readonly name: string;
  readonly sshAuthorizedKeys?: readonly string[];
  readonly groups?: readonly string[];
  readonly shell: string;
}

export interface IgnitionDirectory {
  readonly path: string;
  /** Decimal integer: JSON has no octal. */
  readonly mode: number;
}

export interface IgnitionFile {
  readonly path: string;
  readonly overwrite: true;
  readonly contents: { readonly source: string; readonly compression?: 'gzip' };
  readonly mode: number;
}

export interface IgnitionUnit {
  readonly name: string;
  readonly enabled: true;
  readonly contents: string;
}

/** Files Ignition writes that cloud-init expresses with its own keys instead of write_files. */
export function ignitionOnlyFiles(plan: ClusterPlan, node: NodePlan): NodeFile[] {
  return [textFile('/etc/hostname', `${node.name}\n`), ...networkFiles(plan, node)];
}

function file(f: NodeFile): IgnitionFile {
  // Ignition 3.1+ inflates `compression: gzip` contents itself; zlib's header has no name or time.
  const contents = f.gzip ? { source: dataUrl(gzipSync(f.content, { level: 9 })), compression: 'gzip' as const } : { source: dataUrl(f.content) };
  return { path: f.path, overwrite: true, contents, mode: f.mode };
}

export function ignitionConfig(plan: ClusterPlan, node: NodePlan, files: readonly NodeFile[]): IgnitionV33 {
  const all = sortFiles([...files, ...ignitionOnlyFiles(plan, node)]);
  // Where the artifacts phase installs binaries; created up front so it is there (and on
  // PATH) from the first boot on, with the mode the plan expects rather than a default.
  const directories: IgnitionDirectory[] = [{ path: plan.os.binDir, mode: 0o755 }];
  // Staged secret files sit in a directory only root may enter, in kubeseed's own state
  // directory (the first-boot script keeps that one 0700 too).
  if (all.some((f) => f.path.startsWith(`${plan.secretStaging}/`))) {
    directories.push({ path: dirname(plan.secretStaging), mode: 0o700 }, { path: plan.secretStaging, mode: 0o700 });
  }
  const seen = new Set<string>();
  for (const p of [...directories.map((d) => d.path), ...all.map((f) => f.path)]) {
    if (seen.has(p)) throw new Error(`unreachable: two Ignition entries for ${p}`);
    seen.add(p);
  }
  const user: IgnitionUser = {
    name: plan.access.user,
    ...(plan.access.sshAuthorizedKeys.length ? { sshAuthorizedKeys: [...plan.access.sshAuthorizedKeys] } : {}),
    ...(plan.os.adminGroups.length ? { groups: [...plan.os.adminGroups] } : {}),
    shell: '/bin/bash',
  };
  return {
    ignition: { version: IGNITION_VERSION },
    passwd: { users: [user] },
    storage: { directories, files: all.map(file) },
    systemd: { units: phaseUnits(plan, node).map((u) => ({ name: u.name, enabled: true, contents: u.contents })) },
  };
}

export function renderIgnition(plan: ClusterPlan, node: NodePlan, files: readonly NodeFile[]): string {
  return toJson(ignitionConfig(plan, node, files));
}
