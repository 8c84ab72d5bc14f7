/**
 * The CRI sockets kubeadm probes when no --cri-socket is given (cmd/kubeadm/app/constants/
 * constants_unix.go: CRISocketContainerd, CRISocketCRIO, CRISocketDocker; kubeadm refuses to
 * pick one when several exist), plus Docker Engine's own socket: dockerd brings its own
 * containerd with the CRI plugin disabled, which would fight ours.
 */
export const CONTAINERD_SOCKET = '/var/run/containerd/containerd.sock';

export const CONFLICTING_SOCKETS: readonly { readonly path: string; readonly runtime: string }[] = [
  { path: '/var/run/crio/crio.sock', runtime: 'CRI-O' },
  { path: '/var/run/cri-dockerd.sock', runtime: 'cri-dockerd (Docker Engine through CRI)' },
  { path: '/var/run/docker.sock', runtime: 'Docker Engine' },
];
