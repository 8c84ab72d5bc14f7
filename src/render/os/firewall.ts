/** Firewall port forms per tool: ufw writes ranges with ':' (30000:32767/tcp), firewalld with '-'. */
export function ufwPorts(ports: readonly string[]): string[] {
  return ports.map((p) => p.replace('-', ':'));
}
