/**
 * The only place that turns objects into YAML, TOML or JSON text. Renderers build plain objects
 * and call these, so quoting, key order and line folding are decided once.
 */
import TOML from '@iarna/toml';
import { Document, isScalar, visit } from 'yaml';

/**
 * YAML for consumers that parse YAML 1.1 (cloud-init's PyYAML, kubeadm's sigs.k8s.io/yaml).
 * yaml's `1.1` schema quotes strings that 1.1 would read as booleans or numbers (`on`, `yes`,
 * `0644`); lineWidth 0 stops folding of long lines (certificates, scripts) into `>-` blocks;
 * multi-line strings become `|` block literals so scripts stay readable.
 */
export function toYaml(value: unknown, opts: { header?: string } = {}): string {
  const doc = new Document(value, { version: '1.1', schema: 'yaml-1.1' } as never);
  // Marking multi-line strings as literal blocks up front also spares the stringifier testing
  // every script and certificate as a possible plain scalar, most of a user-data's cost.
  visit(doc, {
    Scalar(_key, node) {
      if (isScalar(node) && typeof node.value === 'string' && node.value.includes('\n')) node.type = 'BLOCK_LITERAL';
    },
  });
  const body = doc.toString({ lineWidth: 0, minContentWidth: 0, indentSeq: true, blockQuote: 'literal' });
  return opts.header ? `${opts.header}\n${body}` : body;
}

/** Several YAML documents in one stream, as kubeadm's --config takes them. */
export function toYamlStream(values: readonly unknown[]): string {
  return values.map((v) => toYaml(v)).join('---\n');
}

/** TOML; @iarna/toml keeps key insertion order, so callers build objects in the order they want. */
export function toToml(value: Record<string, unknown>): string {
  return TOML.stringify(value as TOML.JsonMap);
}

/** JSON with two-space indentation and a trailing newline. */
export function toJson(value: unknown): string {
  return `${JSON.stringify(value, null, 2)}\n`;
}
