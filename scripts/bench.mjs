// npm run bench: every benchmark, figures printed (never asserted). `npm run bench` builds first.
// Sections: state creation (keys), compile of generated clusters, ISO writing beside xorriso,
// bundling beside tar, image pulls beside skopeo copy, kubeseed serve beside static file servers,
// the single-file release's size and start-up beside dist/cli. `npm run bench -- compile` runs one section.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { benchCompileAll } from './bench-compile.mjs';
import { createClusterState } from '../dist/pki/cluster-state.js';

const only = process.argv[2];
const want = (name) => only === undefined || only === name;

if (want('state')) {
  console.log('state creation (3 CAs, service-account keys, admin and etcd client certificates, token)');
  for (const keyAlgorithm of ['rsa', 'ecdsa']) {
    const runs = [];
    for (let i = 0; i < 5; i++) {
      const t = performance.now();
      createClusterState({ keyAlgorithm, now: new Date(), tokenTtlSeconds: 0, clusterName: 'bench', kubernetesVersion: 'v1.31.12', endpoint: { host: 'apiserver.cluster.local', port: 6443 } });
      runs.push(performance.now() - t);
    }
    runs.sort((a, b) => a - b);
    console.log(`  ${keyAlgorithm}: median ${runs[2].toFixed(0)} ms, min ${runs[0].toFixed(0)} ms, max ${runs[4].toFixed(0)} ms (5 runs)`);
  }
}
if (want('compile')) {
  // Wall time: median of 5 runs for 1,000 workers, 3 for 5,000; tmpfs and disk.
  benchCompileAll([[1000, 5], [5000, 3]]);
}
for (const [name, script, args] of [['iso', 'bench-iso.mjs', ['3']], ['bundle', 'bench-bundle.mjs', []], ['images', 'bench-images.mjs', []], ['serve', 'bench-serve.mjs', []], ['release', 'bench-release.mjs', []]]) {
  if (!want(name)) continue;
  console.log(`${name}:`);
  const r = spawnSync(process.execPath, [join(import.meta.dirname, script), ...args], { stdio: 'inherit' });
  if (r.status !== 0) process.exitCode = 1;
}
