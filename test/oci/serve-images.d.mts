import type { BuiltImage } from './images.mjs';
import type { TestRegistry } from './registry.mjs';
export const SITE_REGISTRY: string;
export interface ServedImages {
  host: string;
  pid: number;
  caFile: string;
  authFile: string | null;
  image: { repository: string; tag: string; digest: string; manifests: { amd64: string; arm64: string } };
  extraImage: string;
  bundleArgs: string[];
  built: BuiltImage;
  registry: TestRegistry;
  stop(): Promise<void>;
}
export function serveTestImages(o: { dir: string; auth?: 'none' | 'htpasswd' | 'token'; fillerMiB?: number }): Promise<ServedImages>;
