// npm run bench: every benchmark, figures printed (never asserted). `npm run bench` builds first.
// Sections: state creation (keys), compile of generated clusters, ISO writing beside
// genisoimage and xorriso, bundling beside sha256sum + tar, image pulls beside skopeo copy,
// kubeseed serve beside static file servers, the single-file release's size and start-up beside
// dist/cli, and compile --iso of an air-gapped fleet. `npm run bench -- iso` runs one section;
// arguments after the section's name go to its script (`npm run bench -- iso --sizes 1024`).
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { benchCompileAll } from './bench-compile.mjs';
import { createClusterState } from '../dist/pki/cluster-state.js';

const only = process.argv[2];
const rest = process.argv.slice(3);
// --smoke: each section on a tiny input, once (the test suite runs it to keep the sections working).
const smoke = rest.includes('--smoke');
const want = (name) => only === undefined || only === name;
const SCRIPTS = { iso: 'bench-iso.mjs', bundle: 'bench-bundle.mjs', images: 'bench-images.mjs', serve: 'bench-serve.mjs', release: 'bench-release.mjs', fleet: 'bench-fleet.mjs' };
if (only !== undefined && !['state', 'compile', ...Object.keys(SCRIPTS)].includes(only)) {
  console.error(`bench: no section ${only} (state, compile, ${Object.keys(SCRIPTS).join(', ')})`);
  process.exit(2);
}

if (want('state')) {
  console.log('state creation (3 CAs, service-account keys, admin and etcd client certificates, token)');
  const n = smoke ? 1 : 5;
  for (const keyAlgorithm of ['rsa', 'ecdsa']) {
    const runs = [];
    for (let i = 0; i < n; i++) {
      const t = performance.now();
      createClusterState({ keyAlgorithm, now: new Date(), tokenTtlSeconds: 0, clusterName: 'bench', kubernetesVersion: 'v1.31.12', endpoint: { host: 'apiserver.cluster.local', port: 6443 } });
      runs.push(performance.now() - t);
    }
    runs.sort((a, b) => a - b);
    console.log(`  ${keyAlgorithm}: median ${runs[(n - 1) / 2].toFixed(0)} ms, min ${runs[0].toFixed(0)} ms, max ${runs[n - 1].toFixed(0)} ms (${n} runs)`);
  }
}
if (want('compile')) {
  // Wall time: median of 5 runs for 1,000 workers, 3 for 5,000; tmpfs and disk.
  benchCompileAll(smoke ? [[2, 1]] : [[1000, 5], [5000, 3]], console.log, smoke);
}
for (const [name, script] of Object.entries(SCRIPTS)) {
  if (!want(name)) continue;
  console.log(`${name}:`);
  const r = spawnSync(process.execPath, [join(import.meta.dirname, script), ...rest], { stdio: 'inherit' });
  if (r.status !== 0) process.exitCode = 1;
}
