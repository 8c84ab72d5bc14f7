/** Every field table, by apiVersion. */
import { KUBELET_V1BETA1_FIELDS, KUBE_PROXY_V1ALPHA1_FIELDS } from './components.js';
import type { FieldTable } from './table.js';
import { V1BETA3_FIELDS } from './v1beta3.js';
import { V1BETA4_FIELDS } from './v1beta4.js';

export const FIELD_TABLES: Readonly<Record<string, FieldTable>> = Object.fromEntries(
  [V1BETA3_FIELDS, V1BETA4_FIELDS, KUBELET_V1BETA1_FIELDS, KUBE_PROXY_V1ALPHA1_FIELDS].map((t) => [t.apiVersion, t]),
);
