/**
 * containerd config.toml, config version 3 (containerd 2.x). The CRI plugin is split there:
 * images (sandbox image, registry) under io.containerd.cri.v1.images, runtimes under
 * io.containerd.cri.v1.runtime. Key paths from containerd's docs/cri/config.md ("In containerd
 * 2.x" and its full v3 listing) and docs/hosts.md.
 */
import type { ContainerdPlan } from '../../plan/types.js';
import { socketPath } from './v2.js';

const IMAGES = 'io.containerd.cri.v1.images';
const RUNTIME = 'io.containerd.cri.v1.runtime';

export interface ConfigV3 {
  version: 3;
  grpc: { address: string };
  plugins: {
    [IMAGES]: {
      // In v3 the sandbox image is a pinned image (never garbage-collected), not sandbox_image.
      pinned_images: { sandbox: string };
      registry: { config_path: string };
    };
    [RUNTIME]: {
      containerd: {
        default_runtime_name: 'runc';
        runtimes: { runc: { runtime_type: 'io.containerd.runc.v2'; options: { SystemdCgroup: boolean } } };
      };
    };
  };
}

export function configV3(c: ContainerdPlan): ConfigV3 {
  return {
    version: 3,
    grpc: { address: socketPath(c.socket) },
    plugins: {
      [IMAGES]: {
        pinned_images: { sandbox: c.sandboxImage },
        registry: { config_path: c.configPath },
      },
      [RUNTIME]: {
        containerd: {
          default_runtime_name: 'runc',
          runtimes: { runc: { runtime_type: 'io.containerd.runc.v2', options: { SystemdCgroup: c.systemdCgroup } } },
        },
      },
    },
  };
}
