/**
 * Progress for long work: a single rewritten line on a TTY, nothing otherwise (CI logs stay
 * quiet). Library code reports events; only the CLI draws.
 */
import type { Io } from './io.js';

export interface ProgressLine {
  update(text: string): void;
  done(): void;
}

export function progressLine(io: Io): ProgressLine {
  if (!io.isTTY) return { update: () => {}, done: () => {} };
  let last = 0;
  let shown = false;
  return {
    update(text) {
      const now = Date.now();
      if (now - last < 100) return;
      last = now;
      shown = true;
      process.stderr.write(`\r\x1b[2K${text}`);
    },
    done() {
      if (shown) process.stderr.write('\r\x1b[2K');
    },
  };
}

export function mib(bytes: number): string {
  return `${(bytes / 1048576).toFixed(1)} MiB`;
}
