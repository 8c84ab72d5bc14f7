/**
 * The field table: every field path kubeseed writes into a kubeadm, kubelet or kube-proxy
 * document, with its type, transcribed by hand from the upstream Go types named in `sources`.
 * A test walks every emitted document and fails on a path or type not listed here, so adding a
 * field means reading the upstream type first.
 *
 * Path syntax: `a.b` nested field; `a[]` the items of a list; `a.*` the values of a map whose
 * keys are free (Go `map[string]string`).
 */
export type FieldType = 'string' | 'int' | 'bool' | 'object' | 'list' | 'map' | 'duration';

export interface FieldSource {
  readonly repo: string;
  readonly path: string;
  /** The commit of the file version the fields were read from. */
  readonly commit: string;
  /** Which Go types of that file the fields come from. */
  readonly types: string;
}

export interface FieldTable {
  readonly apiVersion: string;
  readonly sources: readonly FieldSource[];
  /** kind → path → type. `apiVersion` and `kind` (metav1.TypeMeta) are implied for every kind. */
  readonly kinds: Readonly<Record<string, Readonly<Record<string, FieldType>>>>;
}
