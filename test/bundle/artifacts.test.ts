import { describe, expect, it } from 'vitest';
import { imageFileName, neededArtifacts } from '../../src/plan/artifacts.js';
import { listBundle } from '../../src/emit/bundle/list.js';
import { versionTable } from '../../src/plan/versions.js';

const base = { kubernetesVersion: 'v1.31.12', arch: 'amd64', osFamily: 'ubuntu' } as const;

describe('neededArtifacts', () => {
  it('lists packages, binaries, archives and images in install order', () => {
    expect(neededArtifacts(base).map((a) => `${a.kind} ${a.name} ${a.version}`)).toEqual([
      ...['ca-certificates', 'conntrack', 'curl', 'ebtables', 'ethtool', 'iproute2', 'iptables', 'ipvsadm', 'kmod', 'socat'].map((n) => `package package/${n} `),
      'binary kubeadm v1.31.12',
      'binary kubectl v1.31.12',
      'binary kubelet v1.31.12',
      'binary runc 1.3.4',
      'archive cni-plugins 1.8.0',
      'archive containerd 1.7.30',
      'archive crictl 1.31.1',
      'image image/coredns v1.11.3',
      'image image/etcd 3.5.15-0',
      'image image/kube-apiserver v1.31.12',
      'image image/kube-controller-manager v1.31.12',
      'image image/kube-proxy v1.31.12',
      'image image/kube-scheduler v1.31.12',
      'image image/pause 3.10',
    ]);
  });

  it('expands URL, file name, digest and install facts of a binary', () => {
    const a = neededArtifacts({ ...base, arch: 'arm64' }).find((x) => x.name === 'kubeadm');
    expect(a).toEqual({
      name: 'kubeadm',
      kind: 'binary',
      version: 'v1.31.12',
      arch: 'arm64',
      url: 'https://dl.k8s.io/release/v1.31.12/bin/linux/arm64/kubeadm',
      checksumUrl: 'https://dl.k8s.io/release/v1.31.12/bin/linux/arm64/kubeadm.sha256',
      sha256: '88fc31963e833d72d1e26159166591aea537d762debb5cc0f0d059fdc717b43b',
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
      'unreachable: containerd 1.6.20 is not supported with Kubernetes v1.31.12 (supported: 1.7.30, 2.0.7)',
    );
  });

  it('rejects a Kubernetes release without digests', () => {
    expect(() => neededArtifacts({ ...base, kubernetesVersion: 'v1.31.2' })).toThrow(
      'unreachable: Kubernetes v1.31.2 is not in the version table (validation rejects it)',
    );
  });

  it('pins every image by its index digest, pulls it from the table\'s registry and names it under imageRepository', () => {
    expect(imageFileName('coredns/coredns', 'v1.11.3', 'arm64')).toBe('coredns_coredns_v1.11.3_arm64.tar');
    const imgs = neededArtifacts({ ...base, imageRepository: 'mirror.example.internal/k8s/' }).filter((a) => a.kind === 'image');
    const table = versionTable().kubernetes['1.31']!.images;
    expect(imgs.map((a) => [a.ref, a.pull, a.digest, a.bundlePath, a.sha256])).toEqual([
      ['mirror.example.internal/k8s/coredns/coredns:v1.11.3', `registry.k8s.io/coredns/coredns:v1.11.3@${table.coredns.digest}`, table.coredns.digest, 'images/coredns_coredns_v1.11.3_amd64.tar', null],
      ['mirror.example.internal/k8s/etcd:3.5.15-0', `registry.k8s.io/etcd:3.5.15-0@${table.etcd.digest}`, table.etcd.digest, 'images/etcd_3.5.15-0_amd64.tar', null],
      ['mirror.example.internal/k8s/kube-apiserver:v1.31.12', `registry.k8s.io/kube-apiserver:v1.31.12@${table['kube-apiserver'].digest}`, table['kube-apiserver'].digest, 'images/kube-apiserver_v1.31.12_amd64.tar', null],
      ['mirror.example.internal/k8s/kube-controller-manager:v1.31.12', `registry.k8s.io/kube-controller-manager:v1.31.12@${table['kube-controller-manager'].digest}`, table['kube-controller-manager'].digest, 'images/kube-controller-manager_v1.31.12_amd64.tar', null],
      ['mirror.example.internal/k8s/kube-proxy:v1.31.12', `registry.k8s.io/kube-proxy:v1.31.12@${table['kube-proxy'].digest}`, table['kube-proxy'].digest, 'images/kube-proxy_v1.31.12_amd64.tar', null],
      ['mirror.example.internal/k8s/kube-scheduler:v1.31.12', `registry.k8s.io/kube-scheduler:v1.31.12@${table['kube-scheduler'].digest}`, table['kube-scheduler'].digest, 'images/kube-scheduler_v1.31.12_amd64.tar', null],
      ['mirror.example.internal/k8s/pause:3.10', `registry.k8s.io/pause:3.10@${table.pause.digest}`, table.pause.digest, 'images/pause_3.10_amd64.tar', null],
    ]);
    expect(table['kube-apiserver'].digest).toBe('sha256:e9011c3bee8c06ecabd7816e119dca4e448c92f7a78acd891de3d2db1dc6c234');
  });

  it('adds site images by their normalised reference, pinned by their digest', () => {
    const d = `sha256:${'ab'.repeat(32)}`;
    const extra = neededArtifacts({ ...base, extraImages: [`busybox:1.36@${d}`, `registry.example:5000/team/app@${d}`] }).filter((a) => a.name.startsWith('image/extra/'));
    expect(extra.map((a) => [a.name, a.ref, a.pull, a.digest, a.bundlePath])).toEqual([
      ['image/extra/docker.io/library/busybox', 'docker.io/library/busybox:1.36', `docker.io/library/busybox:1.36@${d}`, d, 'images/docker.io_library_busybox_1.36_amd64.tar'],
      ['image/extra/registry.example:5000/team/app', 'registry.example:5000/team/app', `registry.example:5000/team/app@${d}`, d, `images/registry.example_5000_team_app_${'ab'.repeat(6)}_amd64.tar`],
    ]);
  });

  it('leaves packages out on Flatcar', () => {
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
  it('prints one line per artifact with URL, digest, image reference and digest, or package', () => {
    const lines = listBundle(neededArtifacts({ ...base, kubernetesVersion: 'v1.29.12', osFamily: 'debian' }));
    expect(lines[0]).toBe('package ca-certificates (apt, provides ca-certificates)');
    expect(lines[10]).toBe(
      'binary  kubeadm v1.29.12 amd64 sha256:bce712631bc425726b45930e58b00790c2ab3deec4282f86af353ea907817c46 https://dl.k8s.io/release/v1.29.12/bin/linux/amd64/kubeadm',
    );
    expect(lines.filter((l) => l.startsWith('image '))).toEqual([
      'image   registry.k8s.io/coredns/coredns:v1.11.1 amd64 sha256:1eeb4c7316bacb1d4c8ead65571cd92dd21e27359f0d4917f1a5822a73b75db1',
      'image   registry.k8s.io/etcd:3.5.16-0 amd64 sha256:c6a9d11cc5c04b114ccdef39a9265eeef818e3d02f5359be035ae784097fdec5',
      'image   registry.k8s.io/kube-apiserver:v1.29.12 amd64 sha256:2804b1e7b9e08f3a3468f8fd2f6487c55968b9293ee51b9efb865b3298acfa26',
      'image   registry.k8s.io/kube-controller-manager:v1.29.12 amd64 sha256:e2f26a3f5ef3fd01f6330cab8b078cf303cfb6d36911a210d0915d535910e412',
      'image   registry.k8s.io/kube-proxy:v1.29.12 amd64 sha256:bc761494b78fa152a759457f42bc9b86ee9d18f5929bb127bd5f72f8e2112c39',
      'image   registry.k8s.io/kube-scheduler:v1.29.12 amd64 sha256:ed66e2102f4705d45de7513decf3ac61879704984409323779d19e98b970568c',
      'image   registry.k8s.io/pause:3.9 amd64 sha256:7031c1b283388d2c2e09b57badb803c05ebed362dc88d84b480cc47f72a21097',
    ]);
    expect(lines).toHaveLength(24);
  });

  it('names the upstream reference when kubelet asks for the image under imageRepository', () => {
    const lines = listBundle(neededArtifacts({ ...base, imageRepository: 'registry.site.internal/k8s' }));
    expect(lines.find((l) => l.includes('pause'))).toBe(
      `image   registry.site.internal/k8s/pause:3.10 amd64 ${versionTable().kubernetes['1.31']!.images.pause.digest} from registry.k8s.io/pause:3.10`,
    );
  });
});
