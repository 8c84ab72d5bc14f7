import { describe, expect, it } from 'vitest';
import { imageFileName, neededArtifacts } from '../../src/plan/artifacts.js';
import { listBundle } from '../../src/emit/bundle/list.js';

const base = { kubernetesVersion: 'v1.31.13', arch: 'amd64', osFamily: 'ubuntu', source: 'bundle' } as const;

describe('neededArtifacts', () => {
  it('lists binaries, archives, images and packages in a fixed order', () => {
    expect(neededArtifacts(base).map((a) => `${a.kind} ${a.name} ${a.version}`)).toEqual([
      'binary kubeadm v1.31.13',
      'binary kubectl v1.31.13',
      'binary kubelet v1.31.13',
      'binary runc 1.3.4',
      'archive cni-plugins 1.8.0',
      'archive containerd 1.7.30',
      'archive crictl 1.31.1',
      'image image/coredns v1.11.3',
      'image image/etcd 3.5.15-0',
      'image image/kube-apiserver v1.31.13',
      'image image/kube-controller-manager v1.31.13',
      'image image/kube-proxy v1.31.13',
      'image image/kube-scheduler v1.31.13',
      'image image/pause 3.10',
      ...['ca-certificates', 'conntrack', 'curl', 'ebtables', 'ethtool', 'iproute2', 'iptables', 'ipvsadm', 'kmod', 'socat'].map((n) => `package package/${n} `),
    ]);
  });

  it('expands URL, file name, digest and install facts of a binary', () => {
    const a = neededArtifacts({ ...base, arch: 'arm64' }).find((x) => x.name === 'kubeadm');
    expect(a).toEqual({
      name: 'kubeadm',
      kind: 'binary',
      version: 'v1.31.13',
      arch: 'arm64',
      url: 'https://dl.k8s.io/release/v1.31.13/bin/linux/arm64/kubeadm',
      checksumUrl: 'https://dl.k8s.io/release/v1.31.13/bin/linux/arm64/kubeadm.sha256',
      sha256: '30762e5a20eb8a4d52b278fe7d999fd76ab20b63b40cb1e60625bc73c6e11e96',
      fileName: 'kubeadm',
      bundlePath: 'files/kubeadm',
      installTo: '/usr/local/bin/kubeadm',
      mode: 0o755,
    });
  });

  it('takes the requested containerd release and rejects one the table lacks', () => {
    const c = neededArtifacts({ ...base, containerdVersion: '2.0.7' }).find((x) => x.name === 'containerd');
    expect(c?.url).toBe('https://github.com/containerd/containerd/releases/download/v2.0.7/containerd-2.0.7-linux-amd64.tar.gz');
    expect(c?.bundlePath).toBe('files/containerd-2.0.7-linux-amd64.tar.gz');
    expect(() => neededArtifacts({ ...base, containerdVersion: '1.6.20' })).toThrow(
      'unreachable: containerd 1.6.20 is not supported with Kubernetes v1.31.13 (supported: 1.7.30, 2.0.7)',
    );
  });

  it('rejects a Kubernetes release without digests', () => {
    expect(() => neededArtifacts({ ...base, kubernetesVersion: 'v1.31.2' })).toThrow(
      'unreachable: Kubernetes v1.31.2 is not in the version table (validation rejects it)',
    );
  });

  it('names images by the documented convention and honours imageRepository', () => {
    expect(imageFileName('coredns/coredns', 'v1.11.3', 'arm64')).toBe('coredns_coredns_v1.11.3_arm64.tar');
    const imgs = neededArtifacts({ ...base, imageRepository: 'mirror.example.internal/k8s/' }).filter((a) => a.kind === 'image');
    expect(imgs.map((a) => [a.ref, a.bundlePath])).toEqual([
      ['mirror.example.internal/k8s/coredns/coredns:v1.11.3', 'images/coredns_coredns_v1.11.3_amd64.tar'],
      ['mirror.example.internal/k8s/etcd:3.5.15-0', 'images/etcd_3.5.15-0_amd64.tar'],
      ['mirror.example.internal/k8s/kube-apiserver:v1.31.13', 'images/kube-apiserver_v1.31.13_amd64.tar'],
      ['mirror.example.internal/k8s/kube-controller-manager:v1.31.13', 'images/kube-controller-manager_v1.31.13_amd64.tar'],
      ['mirror.example.internal/k8s/kube-proxy:v1.31.13', 'images/kube-proxy_v1.31.13_amd64.tar'],
      ['mirror.example.internal/k8s/kube-scheduler:v1.31.13', 'images/kube-scheduler_v1.31.13_amd64.tar'],
      ['mirror.example.internal/k8s/pause:3.10', 'images/pause_3.10_amd64.tar'],
    ]);
  });

  it('leaves images out when nodes pull them, and packages out on Flatcar', () => {
    expect(neededArtifacts({ ...base, source: 'mirror' }).filter((a) => a.kind === 'image')).toEqual([]);
    expect(neededArtifacts({ ...base, osFamily: 'flatcar' }).filter((a) => a.kind === 'package')).toEqual([]);
  });

  it('uses each family\'s package names', () => {
    const names = (f: 'rocky' | 'fcos') =>
      neededArtifacts({ ...base, osFamily: f }).flatMap((a) => (a.package ? [`${a.package.manager}:${a.package.name}`] : []));
    expect(names('rocky')).toEqual(['dnf:ca-certificates', 'dnf:conntrack', 'dnf:curl', 'dnf:ebtables', 'dnf:ethtool', 'dnf:iproute', 'dnf:iptables', 'dnf:ipvsadm', 'dnf:kmod', 'dnf:socat']);
    expect(names('fcos')).toEqual(['rpm-ostree:conntrack-tools', 'rpm-ostree:ethtool', 'rpm-ostree:ipvsadm', 'rpm-ostree:socat']);
  });
});

describe('listBundle', () => {
  it('prints one line per artifact with URL, digest, image reference or package', () => {
    const lines = listBundle(neededArtifacts({ ...base, kubernetesVersion: 'v1.29.12', osFamily: 'debian' }));
    expect(lines[0]).toBe(
      'binary  kubeadm v1.29.12 amd64 sha256:bce712631bc425726b45930e58b00790c2ab3deec4282f86af353ea907817c46 https://dl.k8s.io/release/v1.29.12/bin/linux/amd64/kubeadm',
    );
    expect(lines.filter((l) => l.startsWith('image '))[0]).toBe(
      'image   registry.k8s.io/coredns/coredns:v1.11.1 amd64 sha256:unknown --from images/coredns_coredns_v1.11.1_amd64.tar',
    );
    expect(lines.at(-1)).toBe('package socat (apt, provides socat)');
    expect(lines).toHaveLength(24);
  });
});
