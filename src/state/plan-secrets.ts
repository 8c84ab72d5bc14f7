/** The state as the plan sees it: PEM text only, and the token ttl in kubeadm's form. */
import type { ClusterState } from '../pki/cluster-state.js';
import type { ClusterSecrets } from '../plan/types.js';

export function secretsFromState(state: ClusterState, tokenTtl: string): ClusterSecrets {
  return {
    caCert: state.ca.cert,
    caKey: state.ca.key,
    frontProxyCaCert: state.frontProxyCa.cert,
    frontProxyCaKey: state.frontProxyCa.key,
    etcdCaCert: state.etcdCa.cert,
    etcdCaKey: state.etcdCa.key,
    saKey: state.serviceAccount.key,
    saPub: state.serviceAccount.pub,
    token: state.bootstrapToken.token,
    tokenTtl,
    caCertHash: state.discoveryHash,
    apiserverEtcdClient: state.apiserverEtcdClient,
  };
}
