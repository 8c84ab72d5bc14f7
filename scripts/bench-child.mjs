// Runs one kubeseed command in this process and prints its own timing, CPU time, peak RSS and
// the phases the command marked on the performance timeline (kubeseed:<command>:<phase>, each
// mark the end of a phase) as JSON, so the benchmark measures kubeseed and not the shell around it.
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
process.stdout.write(`${JSON.stringify({ ms, startupMs: started, maxRssKb: ru.maxRSS, userMs: ru.userCPUTime / 1000, sysMs: ru.systemCPUTime / 1000, phases })}\n`);
