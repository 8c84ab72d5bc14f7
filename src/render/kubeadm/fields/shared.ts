/** Sources and field groups that both kubeadm API versions share. */
import type { FieldSource, FieldType } from './table.js';

export const BOOTSTRAP_TOKEN_SOURCE: FieldSource = {
  repo: 'kubernetes/kubernetes',
  path: 'cmd/kubeadm/app/apis/bootstraptoken/v1/types.go',
  commit: '95f08499d652a6211121d8af35f470609217c730',
  types: 'BootstrapToken (token, description, ttl *metav1.Duration, usages, groups)',
};

export const TAINT_SOURCE: FieldSource = {
  repo: 'kubernetes/kubernetes',
  path: 'staging/src/k8s.io/api/core/v1/types.go',
  commit: '815c3d8f70473678341a03abc0a6fb7bab000d3c',
  types: 'Taint (key, value, effect, timeAdded; unchanged since v1.0)',
};

/** InitConfiguration.bootstrapTokens[] (bootstraptoken/v1.BootstrapToken). */
export const BOOTSTRAP_TOKENS: Readonly<Record<string, FieldType>> = {
  bootstrapTokens: 'list',
  'bootstrapTokens[]': 'object',
  'bootstrapTokens[].token': 'string',
  'bootstrapTokens[].description': 'string',
  'bootstrapTokens[].ttl': 'duration',
  'bootstrapTokens[].usages': 'list',
  'bootstrapTokens[].usages[]': 'string',
  'bootstrapTokens[].groups': 'list',
  'bootstrapTokens[].groups[]': 'string',
};

/** Prefixes every path of a group with `prefix.`. */
export function under(prefix: string, group: Readonly<Record<string, FieldType>>): Record<string, FieldType> {
  return Object.fromEntries(Object.entries(group).map(([k, v]) => [`${prefix}.${k}`, v]));
}

/** NodeRegistrationOptions fields common to both versions (kubeletExtraArgs differs). */
export const NODE_REGISTRATION_COMMON: Readonly<Record<string, FieldType>> = {
  nodeRegistration: 'object',
  'nodeRegistration.name': 'string',
  'nodeRegistration.criSocket': 'string',
  'nodeRegistration.taints': 'list',
  'nodeRegistration.taints[]': 'object',
  'nodeRegistration.taints[].key': 'string',
  'nodeRegistration.taints[].effect': 'string',
};

/** Only workers lower a preflight check (see WORKER_IGNORED_PREFLIGHT in model.ts). */
export const IGNORE_PREFLIGHT: Readonly<Record<string, FieldType>> = {
  'nodeRegistration.ignorePreflightErrors': 'list',
  'nodeRegistration.ignorePreflightErrors[]': 'string',
};

/** APIEndpoint. */
export const API_ENDPOINT: Readonly<Record<string, FieldType>> = {
  advertiseAddress: 'string',
  bindPort: 'int',
};
