/**
 * The first-boot phases as systemd oneshot units, one per phase, chained so each starts only
 * after the one before it succeeded. This replaces cloud-init's runcmd: Ignition has no
 * "run this once" of its own. Each unit runs `kubeseed-firstboot <phase>`, which logs, leaves
 * the phase's marker and skips a phase already done, so a reboot re-runs nothing that finished.
 */
import type { ClusterPlan, NodePlan, Phase } from '../../plan/types.js';
import { firstbootPath } from '../scripts/phases.js';
import { renderUnit } from './units.js';

export interface SystemdUnit {
  readonly name: string;
  readonly contents: string;
}

export function phaseUnitName(phase: Phase): string {
  return `kubeseed-${phase}.service`;
}

export function phaseUnits(plan: ClusterPlan, node: NodePlan): SystemdUnit[] {
  return node.phases.map((phase, i) => {
    const previous = i > 0 ? phaseUnitName(node.phases[i - 1]!) : undefined;
    const unit: [string, string][] = [
      ['Description', `kubeseed first boot: phase ${phase} of node ${node.name} (cluster ${plan.name})`],
      ['Wants', 'network-online.target'],
      ['After', previous ? `network-online.target ${previous}` : 'network-online.target'],
    ];
    // Requires= with After=: a failed phase stops every later one instead of running it anyway.
    if (previous) unit.push(['Requires', previous]);
    return {
      name: phaseUnitName(phase),
      contents: renderUnit([
        { name: 'Unit', entries: unit },
        {
          name: 'Service',
          entries: [
            ['Type', 'oneshot'],
            ['RemainAfterExit', 'yes'],
            ['ExecStart', `${firstbootPath(plan)} ${phase}`],
            // Joins wait and retry for minutes; the phase scripts bound their own retries.
            ['TimeoutStartSec', 'infinity'],
            ['StandardOutput', 'journal+console'],
            ['StandardError', 'journal+console'],
          ],
        },
        { name: 'Install', entries: [['WantedBy', 'multi-user.target']] },
      ]),
    };
  });
}
