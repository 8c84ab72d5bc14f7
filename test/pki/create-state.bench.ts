/**
 * How long making a cluster's secrets takes (target: under 2 s), per key algorithm.
 * Run: npx vitest bench --run test/pki   (figures only; nothing is asserted)
 */
import { bench, describe } from 'vitest';
import { createClusterState } from '../../src/pki/cluster-state.js';

for (const keyAlgorithm of ['rsa', 'ecdsa'] as const) {
  describe(`createClusterState ${keyAlgorithm}`, () => {
    bench(
      `${keyAlgorithm}: 3 CAs + sa key + admin cert + token`,
      () => {
        createClusterState({
          keyAlgorithm,
          now: new Date('2026-03-01T12:00:00Z'),
          tokenTtlSeconds: 86400,
          clusterName: 'bench',
          kubernetesVersion: 'v1.31.2',
          endpoint: { host: 'apiserver.cluster.local', port: 6443 },
        });
      },
      { iterations: 10, time: 0, warmupIterations: 1 },
    );
  });
}
