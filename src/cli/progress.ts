/**
 * Progress of long work (downloads, the bundle's tar, seed ISOs): a bar with bytes done, rate and
 * time left, drawn on the terminal's status line through Io, at most ten times a second; nothing
 * at all when stderr is not a terminal (or under CI), so logs stay quiet. Library code reports
 * byte counts; only the CLI draws.
 *
 *   downloading kubelet [########------------]  41.2 MiB of 104.0 MiB  12.5 MiB/s  0:05 left
 */
import type { Io } from './io.js';

export interface ProgressBar {
  /** `done` bytes so far of `total` (when known). */
  update(done: number, total?: number): void;
  /** Clears the status line. */
  done(): void;
}

const WIDTH = 20;
const REDRAW_MS = 100;

export function mib(bytes: number): string {
  return `${(bytes / 1048576).toFixed(1)} MiB`;
}

function clockTime(seconds: number): string {
  const s = Math.ceil(seconds);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const ss = String(s % 60).padStart(2, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${ss}` : `${m}:${ss}`;
}

/**
 * The status line for `done` of `total` bytes, `rate` bytes per second (undefined before there is
 * a measure of it).
 */
export function progressText(label: string, done: number, total: number | undefined, rate: number | undefined): string {
  const parts = [label];
  if (total !== undefined && total > 0) {
    const filled = Math.min(WIDTH, Math.floor((done / total) * WIDTH));
    parts.push(`[${'#'.repeat(filled)}${'-'.repeat(WIDTH - filled)}]`, `${mib(done)} of ${mib(total)}`);
  } else {
    parts.push(mib(done));
  }
  if (rate !== undefined && rate > 0) {
    parts.push(`${mib(rate)}/s`);
    if (total !== undefined && total > done) parts.push(`${clockTime((total - done) / rate)} left`);
  }
  return parts.join('  ');
}

/**
 * A bar for one piece of work. The rate counts from the first update, so a resumed download's
 * earlier bytes do not inflate it. `now` (milliseconds) is injectable for tests.
 */
export function progressBar(io: Io, label: string, now: () => number = () => performance.now()): ProgressBar {
  if (!io.isTTY) return { update: () => {}, done: () => {} };
  let start: { at: number; bytes: number } | undefined;
  let drawn = -Infinity;
  let shown = false;
  return {
    update(done, total) {
      const t = now();
      start ??= { at: t, bytes: done };
      if (t - drawn < REDRAW_MS && !(total !== undefined && done >= total)) return;
      drawn = t;
      const seconds = (t - start.at) / 1000;
      const rate = seconds > 0 ? (done - start.bytes) / seconds : undefined;
      io.status(progressText(label, done, total, rate));
      shown = true;
    },
    done() {
      if (shown) io.status('');
      shown = false;
    },
  };
}
