// Runs one kubeseed command in this process and prints its own timing, CPU time, peak RSS, the
// bytes it wrote (wchar of /proc/self/io: every write(2), whatever the filesystem) and the
// phases the command marked on the performance timeline (kubeseed:<command>:<phase>, each mark
// the end of a phase) as JSON, so the benchmark measures kubeseed and not the shell around it.
import { readFileSync } from 'node:fs';
import { main } from '../dist/cli/main.js';

const quiet = { out: () => {}, err: (t) => process.stderr.write(t), isTTY: false };
const started = performance.now();
const code = await main(process.argv.slice(2), quiet);
const ms = performance.now() - started;
process.exitCode = code;
const phases = [];
let last;
for (const m of performance.getEntriesByType('mark')) {
  if (!m.name.startsWith('kubeseed:')) continue;
  if (last !== undefined) phases.push([m.name.split(':').pop(), m.startTime - last]);
  last = m.startTime;
}
const ru = process.resourceUsage();
const io = Object.fromEntries(readFileSync('/proc/self/io', 'utf8').trim().split('\n').map((l) => l.split(': ')).map(([k, v]) => [k, Number(v)]));
process.stdout.write(`${JSON.stringify({ ms, startupMs: started, maxRssKb: ru.maxRSS, userMs: ru.userCPUTime / 1000, sysMs: ru.systemCPUTime / 1000, wroteBytes: io.wchar, phases })}\n`);
