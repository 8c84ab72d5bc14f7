/**
 * The artifacts phase and the files it needs: the phase script (with the node's list of
 * artifacts and digests compiled in), the systemd units it installs beside the binaries they
 * start (staged under /etc/kubeseed/units, so a unit never points at a binary that is not there),
 * and /etc/crictl.yaml.
 */
import type { ClusterPlan, NodeShape } from '../../plan/types.js';
import { textFile, type NodeFile } from '../files.js';
import { scriptCommon } from '../scripts/phases.js';
import { renderScript } from '../scripts/template.js';
import { toYaml } from '../serialize.js';
import { nodeArtifacts, type NodeArtifactList } from './list.js';
import { renderUnit } from '../systemd/unit.js';
import { containerdService, kubeadmDropIn, kubeletService } from './units.js';

export const UNIT_STAGE_DIR = '/etc/kubeseed/units';
export const CRICTL_CONFIG = '/etc/crictl.yaml';

interface StagedUnit {
  readonly staged: string;
  readonly target: string;
  readonly content: string;
}

/** Units that come with artifacts this node installs (none for a kubelet or containerd from packages). */
function stagedUnits(plan: ClusterPlan, list: NodeArtifactList): StagedUnit[] {
  const names = new Set(list.files.filter((f) => f.kind === 'binary' || f.kind === 'archive').map((f) => f.name));
  const out: StagedUnit[] = [];
  const containerd = list.files.find((f) => f.name === 'containerd');
  if (containerd) {
    out.push({
      staged: `${UNIT_STAGE_DIR}/containerd.service`,
      target: '/etc/systemd/system/containerd.service',
      content: renderUnit(containerdService(containerd.installTo, plan.containerd.version)),
    });
  }
  if (names.has('kubelet')) {
    const defaults = plan.os.packageManager === 'apt' ? '/etc/default/kubelet' : '/etc/sysconfig/kubelet';
    out.push(
      { staged: `${UNIT_STAGE_DIR}/kubelet.service`, target: '/etc/systemd/system/kubelet.service', content: renderUnit(kubeletService(plan.os.binDir)) },
      {
        staged: `${UNIT_STAGE_DIR}/10-kubeadm.conf`,
        target: '/etc/systemd/system/kubelet.service.d/10-kubeadm.conf',
        content: renderUnit(kubeadmDropIn(plan.os.binDir, defaults)),
      },
    );
  }
  return out;
}

/** crictl talks to containerd's CRI socket without flags. */
export function crictlConfig(plan: ClusterPlan): string {
  return toYaml({ 'runtime-endpoint': plan.containerd.socket, 'image-endpoint': plan.containerd.socket, timeout: 10 });
}

export function renderArtifactsPhase(plan: ClusterPlan): string {
  const list = nodeArtifacts(plan);
  const units = stagedUnits(plan, list);
  const installs = (name: string) => list.files.some((f) => f.name === name && f.kind !== 'package');
  return renderScript('phase-artifacts', {
    ...scriptCommon(plan),
    source: plan.artifacts.source,
    bundlePath: plan.artifacts.source === 'bundle' ? (plan.artifacts.bundlePath ?? '') : '',
    mediaLabels: plan.artifacts.media.map((m) => m.label),
    mediaMounts: plan.artifacts.media.map((m) => m.mount),
    mediaTars: plan.artifacts.media.map((m) => m.tar),
    mediaNames: plan.artifacts.media.map((m) => m.what),
    caFile: plan.artifacts.source === 'mirror' ? (plan.artifacts.mirror?.caFile ?? '') : '',
    packageManager: plan.os.packageManager,
    socket: plan.containerd.socket,
    files: list.files.map((f) => ({ ...f, mode: f.mode ? `0${f.mode.toString(8)}` : '' })),
    packageNames: plan.os.packageManager === 'none' ? [] : [...plan.os.packages],
    unitSources: units.map((u) => u.staged),
    unitTargets: units.map((u) => u.target),
    enable: [...(installs('containerd') ? ['containerd'] : []), ...(installs('kubelet') ? ['kubelet'] : [])],
    notes: list.notes,
  });
}

/** Files the artifacts phase reads (the phase script itself is registered in scripts/phases.ts). */
export function artifactsFiles(plan: ClusterPlan, node: NodeShape): NodeFile[] {
  if (!node.phases.includes('artifacts')) return [];
  const list = nodeArtifacts(plan);
  return [
    ...stagedUnits(plan, list).map((u) => textFile(u.staged, u.content)),
    textFile(CRICTL_CONFIG, crictlConfig(plan)),
  ];
}
