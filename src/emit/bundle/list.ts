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
      case 'manifest':
        lines.push(`manifest ${a.name.slice('manifest/'.length)} ${a.version} sha256:${a.sha256} ${a.url}`);
        break;
      case 'image': {
        // The upstream reference, when kubelet asks for the image under another name (imageRepository).
        const pulled = a.pull?.replace(/@sha256:[0-9a-f]{64}$/, '');
        const digest = a.digest ?? 'digest unknown: pinned at bundle time (the version table has none; kubeseed bundle records the one it pulls: trust on first use)';
        lines.push(`image   ${a.ref} ${a.arch} ${digest}${pulled && pulled !== a.ref ? ` from ${pulled}` : ''}`);
        break;
      }
      case 'package':
        lines.push(`package ${a.package?.name} (${a.package?.manager}, provides ${a.package?.tool})`);
        break;
    }
  }
  return lines;
}
