// npm run bench: every benchmark, figures printed (never asserted). Needs `npm run build` first.
import { benchCompile } from './bench-compile.mjs';

const results = [benchCompile(1000), benchCompile(5000)];
for (const r of results) console.log(`${r.name}\n  ${r.lines.join('\n  ')}`);
