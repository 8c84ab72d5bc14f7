/**
 * iPXE scripts for the network boot. A machine's script names the URL the tree is served at only
 * through the iPXE setting ${base} (ending in "/"), which netboot/boot.ipxe sets before it
 * chains to the script, and `kubeseed serve` sets in the script it answers: so the scripts are
 * the same bytes whichever server and address a site uses.
 *
 * iPXE splits a command line at white space and expands ${...} in every word; the profile's
 * kernel arguments and asset paths are plain words (the schema allows nothing else), and so is
 * every value kubeseed adds (node names are RFC 1123 labels, base64 has no white space).
 */
import type { ClusterPlan, NetbootPlan, NodePlan } from '../../plan/types.js';

/** Where a machine's script lies in the tree, by MAC: iPXE's ${netX/mac:hexhyp} spells it so. */
export const macScriptPath = (mac: string): string => `netboot/mac/${mac.replaceAll(':', '-')}.ipxe`;
/** By SMBIOS UUID, as iPXE's ${uuid} spells it (lower-case). */
export const uuidScriptPath = (uuid: string): string => `netboot/uuid/${uuid}.ipxe`;

const baseName = (path: string): string => path.slice(path.lastIndexOf('/') + 1);

/** The per-machine kernel arguments that lead the booted OS to the node's configuration. */
function configArgs(nb: NetbootPlan, node: NodePlan, networkConfig: string | undefined): string[] {
  const dir = `\${base}nodes/${node.name}/`;
  switch (nb.config.kind) {
    case 'nocloud':
      // i= lets cloud-init recognise the instance at every later boot without fetching the seed
      // again: its local stage compares it with the cached instance's id (DataSourceNoCloud
      // check_instance_id), so a reboot depends on neither the server nor one-shot secrets.
      return [
        `ds=${nb.config.datasource};s=${dir};i=${node.instanceId}`,
        ...(networkConfig === undefined ? [] : [`network-config=${Buffer.from(networkConfig).toString('base64')}`]),
      ];
    case 'flatcar':
      return ['flatcar.first_boot=1', `ignition.config.url=${dir}ignition.json`];
    case 'coreos-installer':
      return [
        `coreos.live.rootfs_url=\${base}assets/${nb.config.rootfs}`,
        `coreos.inst.install_dev=${nb.config.installDevice}`,
        `coreos.inst.ignition_url=${dir}ignition.json`,
      ];
  }
}

/**
 * The whole kernel command line iPXE hands over, ${base} unexpanded: initrd= per initrd (the EFI
 * stub loads them by these names), the profile's arguments, then kubeseed's.
 */
export function kernelArgs(nb: NetbootPlan, node: NodePlan, networkConfig: string | undefined): string[] {
  return [
    ...nb.initrds.map((i) => `initrd=${baseName(i)}`),
    ...nb.args,
    ...configArgs(nb, node, networkConfig),
    // Read by the artifacts phase (phase-artifacts.sh.hbs) when no seed ISO carries the bundle.
    ...(nb.bundle ? [`kubeseed.bundle=\${base}assets/${nb.bundle}`] : []),
  ];
}

/** A machine's script; `networkConfig` is its network-config (cloud-init outputs only). */
export function renderMachineScript(plan: ClusterPlan, node: NodePlan, networkConfig: string | undefined): string {
  const nb = plan.netboot;
  if (!nb) throw new Error('unreachable: a machine script needs plan.netboot');
  const who = [`MAC ${node.mac}`, ...(node.productUuid ? [`product_uuid ${node.productUuid}`] : [])].join(', ');
  return [
    '#!ipxe',
    `# kubeseed: node ${node.name} of cluster ${plan.name} (${who}).`,
    '# ${base}, the URL the tree is served at, comes from netboot/boot.ipxe or kubeseed serve.',
    'isset ${base} || goto nobase',
    `kernel \${base}assets/${nb.kernel} ${kernelArgs(nb, node, networkConfig).join(' ')}`,
    ...nb.initrds.map((i) => `initrd --name ${baseName(i)} \${base}assets/${i}`),
    'boot',
    ':nobase',
    `echo kubeseed: chain this script from netboot/boot.ipxe or kubeseed serve: they set the base URL`,
    'exit 1',
    '',
  ].join('\n');
}

/**
 * netboot/boot.ipxe (compile --netboot URL): what DHCP hands to iPXE. It sets ${base} and loads the
 * machine's own script by MAC, else by SMBIOS UUID; a machine the cluster does not know stops
 * with a message instead of booting something else.
 */
export function renderBootScript(plan: ClusterPlan): string {
  const url = plan.netboot?.url;
  if (url === undefined) throw new Error('unreachable: boot.ipxe needs compile --netboot URL');
  return [
    '#!ipxe',
    `# kubeseed: network boot of cluster ${plan.name}, served at ${url}`,
    `set base ${url}`,
    'chain ${base}netboot/mac/${netX/mac:hexhyp}.ipxe || chain ${base}netboot/uuid/${uuid}.ipxe || goto unknown',
    ':unknown',
    `echo kubeseed: no boot for MAC \${netX/mac} or UUID \${uuid} in cluster ${plan.name} (see above)`,
    'exit 1',
    '',
  ].join('\n');
}

/**
 * Linux on x86 and arm64 keeps at most 2,047 bytes of command line (COMMAND_LINE_SIZE 2048 with
 * its NUL) and drops the rest without a word: a cut network-config or seed URL would fail far
 * from its cause. Checked against the script as written, with the URL a site serves it at.
 */
export const MAX_COMMAND_LINE = 2047;

export function commandLineError(plan: ClusterPlan, node: NodePlan, script: string): string | undefined {
  const url = plan.netboot?.url;
  const line = script.split('\n').find((l) => l.startsWith('kernel '));
  if (url === undefined || line === undefined) return undefined;
  const args = line.split(' ').slice(2).join(' ').replaceAll('${base}', url);
  if (args.length <= MAX_COMMAND_LINE) return undefined;
  return `node ${node.name}: its kernel command line is ${args.length} bytes at ${url}, over Linux's ${MAX_COMMAND_LINE}; shorten spec.netboot.args or the URL`;
}
