/** Types of generated-profile.mjs: a profile document of 3 control-plane nodes and `workers` workers, named bench<workers>. */
export function generatedProfile(workers: number): {
  apiVersion: 'kubeseed.io/v1alpha1';
  kind: 'ClusterProfile';
  metadata: { name: string };
  spec: Record<string, unknown> & { nodes: { name: string; role: string; ip: string; gateway: string; mac: string }[] };
};
