// The generated cluster profile the compile benchmark times and the tests compile: 3
// control-plane nodes and N workers on one /16, MACs and addresses from the node's index.
// Plain JavaScript so that the benchmark runs it with node alone; its types are in
// generated-profile.d.mts for the tests.

const hex = (n) => n.toString(16).padStart(2, '0');

export function generatedProfile(workers) {
  const node = (name, role, i) => ({
    name, role,
    ip: `172.16.${Math.floor(i / 250)}.${(i % 250) + 2}/16`,
    gateway: '172.16.255.254',
    mac: `52:54:00:${hex((i >> 16) & 255)}:${hex((i >> 8) & 255)}:${hex(i & 255)}`,
  });
  const nodes = [0, 1, 2].map((i) => node(`cp${i + 1}`, 'control-plane', i));
  for (let w = 0; w < workers; w++) nodes.push(node(`w${w + 1}`, 'worker', w + 3));
  return {
    apiVersion: 'kubeseed.io/v1alpha1',
    kind: 'ClusterProfile',
    metadata: { name: `bench${workers}` },
    spec: {
      kubernetes: { version: 'v1.31.12' },
      os: { family: 'ubuntu', version: '22.04' },
      containerd: { mirrors: { 'docker.io': ['https://mirror.example.internal'] } },
      nodes,
    },
  };
}
