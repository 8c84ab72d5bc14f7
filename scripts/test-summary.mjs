// The closing lines of `npm test` (scripts/test.sh): every skipped test by file and name with
// the reason it gave, then "N passed, N failed, N skipped" over vitest's JSON report and the
// end-to-end runs. A failed test file without a failed test (an import error, an afterAll that
// threw) counts as one failure, so the line never says 0 failed when the run failed.
//
//   node scripts/test-summary.mjs test-results.json E2E_PASSED E2E_FAILED [SKIPPED_E2E_NAME=REASON ...]
import { existsSync, readFileSync } from 'node:fs';
import { relative } from 'node:path';

const [file, e2ePassed, e2eFailed, ...e2eSkipped] = process.argv.slice(2);
// No report: vitest did not get as far as writing one (it said why above); that is a failure.
const report = existsSync(file) ? JSON.parse(readFileSync(file, 'utf8')) : { testResults: [{ name: `${file} (not written)`, status: 'failed', assertionResults: [] }] };

let passed = Number(e2ePassed);
let failed = Number(e2eFailed);
const skipped = [];
for (const f of report.testResults) {
  const name = relative(process.cwd(), f.name);
  let failedHere = 0;
  for (const t of f.assertionResults) {
    if (t.status === 'passed') passed++;
    else if (t.status === 'failed') failedHere++;
    else skipped.push(`${name} > ${t.fullName}${t.meta?.skipNote ? `: ${t.meta.skipNote}` : ''}`);
  }
  failed += failedHere || (f.status === 'failed' ? 1 : 0);
}
for (const s of e2eSkipped) {
  const at = s.indexOf('=');
  skipped.push(`${s.slice(0, at)}: ${s.slice(at + 1)}`);
}
if (skipped.length > 0) console.log(`skipped (did not run):\n${skipped.map((s) => `  ${s}`).join('\n')}`);
console.log(`${passed} passed, ${failed} failed, ${skipped.length} skipped`);
