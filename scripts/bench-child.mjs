// Runs one kubeseed command in this process and prints its own timing and peak RSS as JSON,
// so the benchmark measures kubeseed and not the shell around it.
import { main } from '../dist/cli/main.js';

const quiet = { out: () => {}, err: (t) => process.stderr.write(t), isTTY: false };
const started = performance.now();
const code = await main(process.argv.slice(2), quiet);
const ms = performance.now() - started;
process.exitCode = code;
process.stdout.write(`${JSON.stringify({ ms, maxRssKb: process.resourceUsage().maxRSS })}\n`);
