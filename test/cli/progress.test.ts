/** The progress bar: what it draws on the status line, how often, and nothing off a terminal. */
import { describe, expect, it } from 'vitest';
import type { Io } from '../../src/cli/io.js';
import { progressBar, progressText } from '../../src/cli/progress.js';

const MIB = 1048576;

function terminal(isTTY = true): Io & { lines: string[] } {
  const lines: string[] = [];
  return { lines, isTTY, out: () => {}, err: () => {}, status: (l) => lines.push(l) };
}

describe('progressBar', () => {
  it('draws bytes, rate and time left, at most every 100 ms, the last update always, and clears', () => {
    const io = terminal();
    let t = 0;
    const bar = progressBar(io, 'downloading kubelet', () => t);
    bar.update(0, 100 * MIB);
    t = 50;
    bar.update(1 * MIB, 100 * MIB);
    t = 2000;
    bar.update(25 * MIB, 100 * MIB);
    t = 2010;
    bar.update(100 * MIB, 100 * MIB);
    bar.done();
    expect(io.lines).toEqual([
      'downloading kubelet  [--------------------]  0.0 MiB of 100.0 MiB',
      'downloading kubelet  [#####---------------]  25.0 MiB of 100.0 MiB  12.5 MiB/s  0:06 left',
      'downloading kubelet  [####################]  100.0 MiB of 100.0 MiB  49.8 MiB/s',
      '',
    ]);
  });

  it('counts the rate from the first update (a resumed download)', () => {
    const io = terminal();
    let t = 0;
    const bar = progressBar(io, 'x', () => t);
    bar.update(50 * MIB, 200 * MIB);
    t = 1000;
    bar.update(60 * MIB, 200 * MIB);
    expect(io.lines[1]).toBe('x  [######--------------]  60.0 MiB of 200.0 MiB  10.0 MiB/s  0:14 left');
  });

  it('without a total: bytes and rate; hours when it takes that long', () => {
    expect(progressText('x', 3 * MIB, undefined, MIB)).toBe('x  3.0 MiB  1.0 MiB/s');
    expect(progressText('x', 0, 8000 * MIB, MIB)).toBe('x  [--------------------]  0.0 MiB of 8000.0 MiB  1.0 MiB/s  2:13:20 left');
  });

  it('draws nothing off a terminal', () => {
    const io = terminal(false);
    const bar = progressBar(io, 'x', () => 0);
    bar.update(1, 2);
    bar.done();
    expect(io.lines).toEqual([]);
  });
});
