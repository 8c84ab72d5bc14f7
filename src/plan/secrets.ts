/**
 * Which secrets each role receives. The rule: a node gets only what its role uses.
 * - control plane: the CA pairs kubeadm signs its certificates with, and the service-account keys;
 * - worker: the cluster CA certificate only (public; the LB checker verifies apiservers with it);
 *   the bootstrap token travels inside its JoinConfiguration;
 * - external etcd member: the etcd CA pair, to issue its own peer and server certificates.
 * Every file that carries a secret (the keys; the kubeadm configuration of a node that inits or
 * joins, which holds the bootstrap token) travels apart from the rest, see secretPathsFor.
 */
import { secretFile, textFile, type NodeFile } from '../render/files.js';
import { KUBEADM_CONFIG } from '../render/kubeadm/model.js';
import type { ClusterSecrets, NodePlan, Role } from './types.js';

const PKI = '/etc/kubernetes/pki';

export function secretFilesFor(role: Role, topology: 'stacked' | 'external', s: ClusterSecrets): NodeFile[] {
  switch (role) {
    case 'control-plane': {
      const files = [
        textFile(`${PKI}/ca.crt`, s.caCert),
        secretFile(`${PKI}/ca.key`, s.caKey),
        textFile(`${PKI}/front-proxy-ca.crt`, s.frontProxyCaCert),
        secretFile(`${PKI}/front-proxy-ca.key`, s.frontProxyCaKey),
        secretFile(`${PKI}/sa.key`, s.saKey),
        textFile(`${PKI}/sa.pub`, s.saPub),
        textFile(`${PKI}/etcd/ca.crt`, s.etcdCaCert),
      ];
      if (topology === 'stacked') return [...files, secretFile(`${PKI}/etcd/ca.key`, s.etcdCaKey)];
      if (!s.apiserverEtcdClient) throw new Error('unreachable: external etcd state carries the apiserver-etcd-client pair');
      return [
        ...files,
        textFile(`${PKI}/apiserver-etcd-client.crt`, s.apiserverEtcdClient.cert),
        secretFile(`${PKI}/apiserver-etcd-client.key`, s.apiserverEtcdClient.key),
      ];
    }
    case 'worker':
      return [textFile(`${PKI}/ca.crt`, s.caCert)];
    case 'etcd':
      return [textFile(`${PKI}/etcd/ca.crt`, s.etcdCaCert), secretFile(`${PKI}/etcd/ca.key`, s.etcdCaKey)];
  }
}

/** Where cloud-init stages secrets: /run is a tmpfs on every systemd machine, from the start. */
export const CLOUD_INIT_STAGING = '/run/kubeseed/secrets';
/** Ignition writes only to the root file system: a private directory there, emptied by the secrets phase. */
export const IGNITION_STAGING = '/var/lib/kubeseed/staged-secrets';

/**
 * Every path on a node of this role and action that carries a secret: its private keys, and its
 * kubeadm configuration unless it is an external etcd member (whose configuration holds no token).
 */
export function secretPathsFor(role: Role, topology: 'stacked' | 'external', action: NodePlan['action'], s: ClusterSecrets): string[] {
  const keys = secretFilesFor(role, topology, s).filter((f) => f.secret).map((f) => f.path);
  return [...keys, ...(action === 'etcd' ? [] : [KUBEADM_CONFIG])].sort();
}
