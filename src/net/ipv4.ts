/** IPv4 arithmetic for subnet checks and derived addresses. Inputs are schema-validated. */

export interface Cidr {
  /** Network address as an unsigned 32-bit number. */
  readonly network: number;
  readonly prefix: number;
}

export function parseIp(ip: string): number {
  return ip.split('.').reduce((acc, part) => acc * 256 + Number(part), 0);
}

export function formatIp(n: number): string {
  return [24, 16, 8, 0].map((shift) => Math.floor(n / 2 ** shift) % 256).join('.');
}

function mask(prefix: number): number {
  return prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
}

/** `192.168.10.11/24` → its network; the host bits are dropped. */
export function parseCidr(cidr: string): Cidr {
  const [ip, len] = cidr.split('/') as [string, string];
  const prefix = Number(len);
  return { network: (parseIp(ip) & mask(prefix)) >>> 0, prefix };
}

export function contains(c: Cidr, ip: number): boolean {
  return ((ip & mask(c.prefix)) >>> 0) === c.network;
}

export function overlaps(a: Cidr, b: Cidr): boolean {
  const p = Math.min(a.prefix, b.prefix);
  return ((a.network & mask(p)) >>> 0) === ((b.network & mask(p)) >>> 0);
}

/** The first usable address of a subnet: kubeadm gives the apiserver's service this one. */
export function firstHost(c: Cidr): number {
  return c.network + 1;
}
