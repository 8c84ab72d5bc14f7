/**
 * The systemd units that come with the binaries the artifacts phase installs, as typed objects
 * printed by the shared unit renderer (src/render/systemd/unit.ts). Contents follow what the
 * upstream packages ship, with the binaries at this OS family's paths.
 */
import type { UnitFile } from '../systemd/unit.js';

const GENERATED = 'Written by kubeseed; the artifacts phase installs it with the binary it starts.';

/** kubelet.service as the Kubernetes packages ship it (kubernetes/release krel templates), at binDir. */
export function kubeletService(binDir: string): UnitFile {
  return {
    comment: [GENERATED],
    Unit: {
      Description: 'kubelet: The Kubernetes Node Agent',
      Documentation: 'https://kubernetes.io/docs/',
      Wants: 'network-online.target',
      After: 'network-online.target',
    },
    Service: {
      ExecStart: `${binDir}/kubelet`,
      Restart: 'always',
      StartLimitInterval: 0,
      RestartSec: 10,
    },
    Install: { WantedBy: 'multi-user.target' },
  };
}

/**
 * The kubeadm drop-in (kubelet.service.d/10-kubeadm.conf) as the kubeadm package ships it: kubeadm
 * init/join write /var/lib/kubelet/config.yaml and kubeadm-flags.env (KUBELET_KUBEADM_ARGS), the
 * kubelet reads them through these variables; the second EnvironmentFile is the operator's
 * last-resort override (KUBELET_EXTRA_ARGS): /etc/default/kubelet on Debian-style systems,
 * /etc/sysconfig/kubelet elsewhere, as the packages do. The empty ExecStart= clears the unit's own.
 */
export function kubeadmDropIn(binDir: string, defaultsFile: string): UnitFile {
  return {
    comment: [GENERATED, 'The kubeadm drop-in for the kubelet (kubelet and kubeadm v1.11+).'],
    Service: {
      Environment: [
        '"KUBELET_KUBECONFIG_ARGS=--bootstrap-kubeconfig=/etc/kubernetes/bootstrap-kubelet.conf --kubeconfig=/etc/kubernetes/kubelet.conf"',
        '"KUBELET_CONFIG_ARGS=--config=/var/lib/kubelet/config.yaml"',
      ],
      EnvironmentFile: ['-/var/lib/kubelet/kubeadm-flags.env', `-${defaultsFile}`],
      ExecStart: ['', `${binDir}/kubelet $KUBELET_KUBECONFIG_ARGS $KUBELET_CONFIG_ARGS $KUBELET_KUBEADM_ARGS $KUBELET_EXTRA_ARGS`],
    },
  };
}

/** containerd.service as containerd's release ships it, for the binaries under `prefix`/bin. */
export function containerdService(prefix: string, containerdVersion: string): UnitFile {
  // containerd 2.x dropped LimitNOFILE=infinity from its unit (the Go runtime raises the soft limit).
  const major = Number(containerdVersion.split('.')[0]);
  return {
    comment: [GENERATED],
    Unit: {
      Description: 'containerd container runtime',
      Documentation: 'https://containerd.io',
      After: 'network.target local-fs.target dbus.service',
    },
    Service: {
      ExecStartPre: '-/sbin/modprobe overlay',
      ExecStart: `${prefix}/bin/containerd`,
      Type: 'notify',
      Delegate: 'yes',
      KillMode: 'process',
      Restart: 'always',
      RestartSec: 5,
      LimitNPROC: 'infinity',
      LimitCORE: 'infinity',
      ...(major < 2 ? { LimitNOFILE: 'infinity' } : {}),
      TasksMax: 'infinity',
      OOMScoreAdjust: -999,
    },
    Install: { WantedBy: 'multi-user.target' },
  };
}
