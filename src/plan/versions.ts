/**
 * The one version table (provisional: the offline-artifacts work replaces it with the full data
 * file of binaries, digests and images per minor).
 */
export type KubeadmApi = 'v1beta3' | 'v1beta4';

interface MinorEntry {
  readonly kubeadmApi: KubeadmApi;
  readonly images: { readonly pause: string; readonly etcd: string; readonly coredns: string };
}

const TABLE: Readonly<Record<string, MinorEntry>> = {
  '1.29': { kubeadmApi: 'v1beta3', images: { pause: '3.9', etcd: '3.5.16-0', coredns: 'v1.11.1' } },
  '1.30': { kubeadmApi: 'v1beta3', images: { pause: '3.9', etcd: '3.5.15-0', coredns: 'v1.11.3' } },
  '1.31': { kubeadmApi: 'v1beta4', images: { pause: '3.10', etcd: '3.5.15-0', coredns: 'v1.11.3' } },
  '1.32': { kubeadmApi: 'v1beta4', images: { pause: '3.10', etcd: '3.5.16-0', coredns: 'v1.11.3' } },
};

export function minorOf(version: string): string {
  return version.replace(/^v/, '').split('.').slice(0, 2).join('.');
}

export function supportedMinors(): string[] {
  return Object.keys(TABLE).sort();
}

export function isSupportedKubernetes(version: string): boolean {
  return TABLE[minorOf(version)] !== undefined;
}

export function versionEntry(version: string): MinorEntry {
  const e = TABLE[minorOf(version)];
  if (!e) throw new Error(`unreachable: validation rejects Kubernetes ${version}`);
  return e;
}
