/** Fields kubeseed writes in kubeadm.k8s.io/v1beta4 documents, from kubeadm's v1beta4 Go types. */
import { V1BETA3_FIELDS } from './v1beta3.js';
import { BOOTSTRAP_TOKEN_SOURCE, TAINT_SOURCE } from './shared.js';
import type { FieldTable, FieldType } from './table.js';

/**
 * v1beta4 changed every `extraArgs`/`kubeletExtraArgs` from `map[string]string` to `[]Arg`
 * (`{name, value}`); the other fields kubeseed writes kept their names and types. Each kind is
 * v1beta3's with the map paths swapped for list paths.
 */
function argsAsLists(fields: Readonly<Record<string, FieldType>>): Record<string, FieldType> {
  const out: Record<string, FieldType> = {};
  for (const [path, type] of Object.entries(fields)) {
    if (path.endsWith('xtraArgs.*')) {
      const base = path.slice(0, -2);
      out[`${base}[]`] = 'object';
      out[`${base}[].name`] = 'string';
      out[`${base}[].value`] = 'string';
    } else if (path.endsWith('xtraArgs') && type === 'map') {
      out[path] = 'list';
    } else {
      out[path] = type;
    }
  }
  return out;
}

export const V1BETA4_FIELDS: FieldTable = {
  apiVersion: 'kubeadm.k8s.io/v1beta4',
  sources: [
    {
      repo: 'kubernetes/kubernetes',
      path: 'cmd/kubeadm/app/apis/kubeadm/v1beta4/types.go',
      commit: '1329935739c3aa007d23cb9a4dadfee9d59ff79b',
      types: 'InitConfiguration, ClusterConfiguration, APIServer, ControlPlaneComponent (ExtraArgs []Arg), Arg '
        + '(name, value), APIEndpoint, NodeRegistrationOptions (KubeletExtraArgs []Arg), Networking, Etcd, LocalEtcd '
        + '(ExtraArgs []Arg), ExternalEtcd, JoinConfiguration, JoinControlPlane, Discovery, BootstrapTokenDiscovery',
    },
    BOOTSTRAP_TOKEN_SOURCE,
    TAINT_SOURCE,
  ],
  kinds: Object.fromEntries(Object.entries(V1BETA3_FIELDS.kinds).map(([kind, fields]) => [kind, argsAsLists(fields)])),
};
