/**
 * netboot/dnsmasq.conf (compile --netboot URL): the DHCP side of a network boot, for a site whose
 * DHCP server is dnsmasq (drop it into /etc/dnsmasq.d/). iPXE announces itself with the DHCP user
 * class "iPXE" and gets netboot/boot.ipxe over HTTP; other PXE firmware first gets iPXE itself
 * over TFTP, as iPXE's chainloading guide does it. Each node also gets its profile address by
 * MAC, so the address it boots with is the one it keeps.
 */
import type { ClusterPlan } from '../../plan/types.js';

export function renderDnsmasq(plan: ClusterPlan): string {
  const url = plan.netboot?.url;
  if (url === undefined) throw new Error('unreachable: dnsmasq.conf needs compile --netboot URL');
  return [
    `# kubeseed: network boot of cluster ${plan.name} (kubeseed serve, or any web server, at ${url}).`,
    '# The site adds its dhcp-range and, for firmware without iPXE, a TFTP root holding',
    '# undionly.kpxe (BIOS) and ipxe.efi (UEFI) from the ipxe package.',
    'dhcp-userclass=set:ipxe,iPXE',
    'dhcp-match=set:efi64,option:client-arch,7',
    'dhcp-match=set:efi64,option:client-arch,9',
    `dhcp-boot=tag:ipxe,${url}netboot/boot.ipxe`,
    'dhcp-boot=tag:!ipxe,tag:efi64,ipxe.efi',
    'dhcp-boot=tag:!ipxe,tag:!efi64,undionly.kpxe',
    'enable-tftp',
    '#tftp-root=/srv/tftp',
    ...plan.nodes.map((n) => `dhcp-host=${n.mac},${n.ip},${n.name}`),
    '',
  ].join('\n');
}
