/**
 * systemd unit files as small typed objects, written out as the INI text systemd reads. Keys may
 * repeat (an empty `ExecStart=` resets the list before a drop-in sets its own), so a section is an
 * ordered list of pairs. Values come from kubeseed's plan; a newline in one would start a new key.
 */
export type UnitLine = readonly [key: string, value: string] | { readonly comment: string };

export interface UnitSection {
  readonly name: 'Unit' | 'Service' | 'Install';
  readonly lines: readonly UnitLine[];
}

export interface UnitFile {
  /** Comment lines at the top of the file. */
  readonly header: readonly string[];
  readonly sections: readonly UnitSection[];
}

export function renderUnit(u: UnitFile): string {
  const out: string[] = u.header.map((c) => `# ${c}`);
  u.sections.forEach((s, i) => {
    if (i > 0 || out.length > 0) out.push('');
    out.push(`[${s.name}]`);
    for (const l of s.lines) {
      if ('comment' in l) {
        out.push(`# ${l.comment}`);
        continue;
      }
      const [k, v] = l;
      if (!/^[A-Za-z][A-Za-z0-9]*$/.test(k) || /[\r\n]/.test(v)) throw new Error(`unreachable: bad unit line ${JSON.stringify(l)}`);
      out.push(`${k}=${v}`);
    }
  });
  return `${out.join('\n')}\n`;
}

const GENERATED = 'Written by kubeseed; the artifacts phase installs it with the binary it starts.';

/** kubelet.service as the Kubernetes packages ship it (kubernetes/release krel templates), at binDir. */
export function kubeletService(binDir: string): UnitFile {
  return {
    header: [GENERATED],
    sections: [
      { name: 'Unit', lines: [
        ['Description', 'kubelet: The Kubernetes Node Agent'],
        ['Documentation', 'https://kubernetes.io/docs/'],
        ['Wants', 'network-online.target'],
        ['After', 'network-online.target'],
      ] },
      { name: 'Service', lines: [
        ['ExecStart', `${binDir}/kubelet`],
        ['Restart', 'always'],
        ['StartLimitInterval', '0'],
        ['RestartSec', '10'],
      ] },
      { name: 'Install', lines: [['WantedBy', 'multi-user.target']] },
    ],
  };
}

/**
 * The kubeadm drop-in (kubelet.service.d/10-kubeadm.conf) as the kubeadm package ships it: kubeadm
 * writes /var/lib/kubelet/config.yaml and kubeadm-flags.env at init/join, the kubelet reads them
 * through these variables. The override file is /etc/default/kubelet on Debian-style systems and
 * /etc/sysconfig/kubelet on the others, as the packages do.
 */
export function kubeadmDropIn(binDir: string, defaultsFile: string): UnitFile {
  return {
    header: [GENERATED, 'The kubeadm drop-in for the kubelet (kubelet and kubeadm v1.11+).'],
    sections: [
      { name: 'Service', lines: [
        ['Environment', '"KUBELET_KUBECONFIG_ARGS=--bootstrap-kubeconfig=/etc/kubernetes/bootstrap-kubelet.conf --kubeconfig=/etc/kubernetes/kubelet.conf"'],
        ['Environment', '"KUBELET_CONFIG_ARGS=--config=/var/lib/kubelet/config.yaml"'],
        { comment: 'kubeadm init and kubeadm join write this file, setting KUBELET_KUBEADM_ARGS' },
        ['EnvironmentFile', '-/var/lib/kubelet/kubeadm-flags.env'],
        { comment: 'a last-resort override of the kubelet flags (KUBELET_EXTRA_ARGS)' },
        ['EnvironmentFile', `-${defaultsFile}`],
        ['ExecStart', ''],
        ['ExecStart', `${binDir}/kubelet $KUBELET_KUBECONFIG_ARGS $KUBELET_CONFIG_ARGS $KUBELET_KUBEADM_ARGS $KUBELET_EXTRA_ARGS`],
      ] },
    ],
  };
}

/** containerd.service as containerd's release ships it, for the binaries under `prefix`/bin. */
export function containerdService(prefix: string, containerdVersion: string): UnitFile {
  // containerd 2.x dropped LimitNOFILE=infinity from its unit (the Go runtime raises the soft limit).
  const major = Number(containerdVersion.split('.')[0]);
  return {
    header: [GENERATED],
    sections: [
      { name: 'Unit', lines: [
        ['Description', 'containerd container runtime'],
        ['Documentation', 'https://containerd.io'],
        ['After', 'network.target local-fs.target dbus.service'],
      ] },
      { name: 'Service', lines: [
        ['ExecStartPre', '-/sbin/modprobe overlay'],
        ['ExecStart', `${prefix}/bin/containerd`],
        ['Type', 'notify'],
        ['Delegate', 'yes'],
        ['KillMode', 'process'],
        ['Restart', 'always'],
        ['RestartSec', '5'],
        ['LimitNPROC', 'infinity'],
        ['LimitCORE', 'infinity'],
        ...(major < 2 ? [['LimitNOFILE', 'infinity'] as const] : []),
        ['TasksMax', 'infinity'],
        ['OOMScoreAdjust', '-999'],
      ] },
      { name: 'Install', lines: [['WantedBy', 'multi-user.target']] },
    ],
  };
}
