/**
 * `kubeseed bundle --list`: what a mirrored or air-gapped site must provide, one line each.
 * Pure; the CLI prints the lines.
 */
import type { Artifact } from '../../plan/artifacts.js';

export function listBundle(artifacts: readonly Artifact[]): string[] {
  const lines: string[] = [];
  for (const a of artifacts) {
    switch (a.kind) {
      case 'binary':
      case 'archive':
        lines.push(`${a.kind.padEnd(7)} ${a.name} ${a.version} ${a.arch} sha256:${a.sha256} ${a.url}`);
        break;
      case 'image':
        lines.push(`image   ${a.ref} ${a.arch} ${a.sha256 ? `sha256:${a.sha256}` : 'sha256:unknown'} --from ${a.bundlePath}`);
        break;
      case 'package':
        lines.push(`package ${a.package?.name} (${a.package?.manager}, provides ${a.package?.tool})`);
        break;
    }
  }
  return lines;
}
