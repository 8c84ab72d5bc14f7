/**
 * The state directory's files and the conversion between them and a ClusterState. The PKI
 * files keep kubeadm's names and layout (/etc/kubernetes/pki), so they can be copied as they are.
 */
import type { ClusterState } from '../pki/cluster-state.js';
import { toJson } from '../render/serialize.js';

/** Every file of a state directory, in the order they are written and checked. */
export const STATE_FILES = Object.freeze([
  'state.json',
  'ca.crt',
  'ca.key',
  'front-proxy-ca.crt',
  'front-proxy-ca.key',
  'etcd/ca.crt',
  'etcd/ca.key',
  'sa.key',
  'sa.pub',
  'admin.conf',
  'apiserver-etcd-client.crt',
  'apiserver-etcd-client.key',
] as const);

export type StateFileName = (typeof STATE_FILES)[number];

/** Subdirectories, created before the files in them. */
export const STATE_SUBDIRS = Object.freeze(['etcd'] as const);

export const STATE_FILE_MODE = 0o600;
export const STATE_DIR_MODE = 0o700;

/** state.json: what is not a file of its own. The discovery hash is kept for readers and checked on load. */
export interface StateDocument {
  readonly formatVersion: number;
  readonly clusterName: string;
  readonly keyAlgorithm: string;
  readonly createdAt: string;
  readonly discoveryHash: string;
  readonly bootstrapToken: { readonly token: string; readonly ttlSeconds: number; readonly expires: string | null };
}

export function stateDocument(state: ClusterState): StateDocument {
  return {
    formatVersion: state.formatVersion,
    clusterName: state.clusterName,
    keyAlgorithm: state.keyAlgorithm,
    createdAt: state.createdAt,
    discoveryHash: state.discoveryHash,
    bootstrapToken: {
      token: state.bootstrapToken.token,
      ttlSeconds: state.bootstrapToken.ttlSeconds,
      expires: state.bootstrapToken.expires,
    },
  };
}

export function stateToFiles(state: ClusterState): Record<StateFileName, string> {
  return {
    'state.json': toJson(stateDocument(state)),
    'ca.crt': state.ca.cert,
    'ca.key': state.ca.key,
    'front-proxy-ca.crt': state.frontProxyCa.cert,
    'front-proxy-ca.key': state.frontProxyCa.key,
    'etcd/ca.crt': state.etcdCa.cert,
    'etcd/ca.key': state.etcdCa.key,
    'sa.key': state.serviceAccount.key,
    'sa.pub': state.serviceAccount.pub,
    'admin.conf': state.adminConf,
    'apiserver-etcd-client.crt': state.apiserverEtcdClient.cert,
    'apiserver-etcd-client.key': state.apiserverEtcdClient.key,
  };
}
