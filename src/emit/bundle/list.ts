/**
 * `kubeseed bundle --list`: what a mirrored or air-gapped site must provide, one line each.
 * Pure; the CLI prints the lines.
 */
import type { Artifact } from '../../plan/artifacts.js';

/** A pod-network image: the upstream reference it is pulled from and the digest nodes expect. */
function cniImage(a: Artifact): string {
  const digest = a.digest ? `digest ${a.digest}` : 'digest unknown: pinned at bundle time (the version table has none; kubeseed bundle records the one it pulls: trust on first use)';
  return ` pull ${a.upstream} ${digest}`;
}

export function listBundle(artifacts: readonly Artifact[]): string[] {
  const lines: string[] = [];
  for (const a of artifacts) {
    switch (a.kind) {
      case 'binary':
      case 'archive':
        lines.push(`${a.kind.padEnd(7)} ${a.name} ${a.version} ${a.arch} sha256:${a.sha256} ${a.url}`);
        break;
      case 'manifest':
        lines.push(`manifest ${a.name.slice('manifest/'.length)} ${a.version} sha256:${a.sha256} ${a.url}`);
        break;
      case 'image':
        lines.push(`image   ${a.ref} ${a.arch} ${a.sha256 ? `sha256:${a.sha256}` : 'sha256:unknown'} --from ${a.bundlePath}${a.upstream === undefined ? '' : cniImage(a)}`);
        break;
      case 'package':
        lines.push(`package ${a.package?.name} (${a.package?.manager}, provides ${a.package?.tool})`);
        break;
    }
  }
  return lines;
}
