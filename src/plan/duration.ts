/** Profile durations (`0`, `90m`, `24h`, `7d`) as seconds and as Go durations for kubeadm. */
const UNIT: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86400 };

export function durationSeconds(d: string): number {
  if (d === '0') return 0;
  return Number(d.slice(0, -1)) * UNIT[d.slice(-1)]!;
}

/** Go's time.ParseDuration has no days; kubeadm reads `168h0m0s`. */
export function goDuration(seconds: number): string {
  if (seconds === 0) return '0s';
  const h = Math.floor(seconds / 3600);
  const m = Math.floor((seconds % 3600) / 60);
  return `${h}h${m}m${seconds % 60}s`;
}
