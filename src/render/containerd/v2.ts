/**
 * containerd config.toml, config version 2 (containerd 1.6 / 1.7). Key paths follow containerd's
 * docs/cri/config.md ("In containerd 1.x") and docs/hosts.md; frozen once shipped: containerd 2.x
 * gets its own module (v3.ts), never a flag in this one.
 */
import type { ContainerdPlan } from '../../plan/types.js';

const CRI = 'io.containerd.grpc.v1.cri';

export interface ConfigV2 {
  version: 2;
  grpc: { address: string };
  plugins: {
    [CRI]: {
      sandbox_image: string;
      containerd: {
        default_runtime_name: 'runc';
        runtimes: { runc: { runtime_type: 'io.containerd.runc.v2'; options: { SystemdCgroup: boolean } } };
      };
      registry: { config_path: string };
    };
  };
}

/** `unix:///run/containerd/containerd.sock` → the path containerd's [grpc] address takes. */
export function socketPath(socket: string): string {
  return socket.replace(/^unix:\/\//, '');
}

export function configV2(c: ContainerdPlan): ConfigV2 {
  return {
    version: 2,
    grpc: { address: socketPath(c.socket) },
    plugins: {
      [CRI]: {
        sandbox_image: c.sandboxImage,
        containerd: {
          default_runtime_name: 'runc',
          // kubelet's cgroupDriver is systemd too; both must agree or pods fail to start.
          runtimes: { runc: { runtime_type: 'io.containerd.runc.v2', options: { SystemdCgroup: c.systemdCgroup } } },
        },
        // Mirrors live in certs.d/<host>/hosts.toml; the older registry.mirrors form is deprecated.
        registry: { config_path: c.configPath },
      },
    },
  };
}
