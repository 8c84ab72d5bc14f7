/**
 * One certs.d/<host>/hosts.toml per mirrored registry (containerd docs/hosts.md). Hosts are
 * tried in the order listed, then `server`; a registry host with a port keeps it in the
 * directory name (`registry.local:5000`), which every containerd since 1.5 looks up on Unix
 * (2.x first tries `registry.local_5000_`, then the same `host:port`). `_default` applies to
 * registries with no directory of their own and has no `server` line, so the image's own
 * registry stays the fallback.
 */
import type { ContainerdPlan, MirrorPlan } from '../../plan/types.js';

export interface HostEntryToml {
  capabilities: string[];
  ca?: string;
  skip_verify?: true;
}

export interface HostsToml {
  server?: string;
  host: Record<string, HostEntryToml>;
}

export function hostsToml(m: MirrorPlan): HostsToml {
  const host: Record<string, HostEntryToml> = {};
  for (const e of m.endpoints) {
    host[e.url] = {
      capabilities: [...e.capabilities],
      ...(e.caFile ? { ca: e.caFile } : {}),
      // Written only when the profile asks: an absent key is containerd's default (verify).
      ...(e.skipVerify ? { skip_verify: true as const } : {}),
    };
  }
  return { ...(m.server ? { server: m.server } : {}), host };
}

/** /etc/containerd/certs.d/docker.io/hosts.toml */
export function hostsTomlPath(c: ContainerdPlan, m: MirrorPlan): string {
  return `${c.configPath}/${m.registry}/hosts.toml`;
}
