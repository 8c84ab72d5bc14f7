/**
 * Every field kubeseed writes into a kubeadm, kubelet or kube-proxy document exists, with that
 * type, in the field table transcribed from the upstream Go types; and the table lists nothing
 * kubeseed does not write.
 */
import { describe, expect, it } from 'vitest';
import { FIELD_TABLES } from '../../../src/render/kubeadm/fields/index.js';
import type { FieldTable, FieldType } from '../../../src/render/kubeadm/fields/table.js';
import { JOIN_WAIT_RBAC, kubeadmFiles } from '../../../src/render/kubeadm/files.js';
import { EXAMPLE_PROFILES } from '../../builders/plan.js';
import { APIS, parseStream, planFor } from './plans.js';

type Doc = Record<string, unknown>;

/** A Go time.Duration string as metav1.Duration parses it ("0" included). */
const GO_DURATION = /^(0|([0-9]+(\.[0-9]+)?(ns|us|µs|ms|s|m|h))+)$/;

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function typeOk(type: FieldType, v: unknown): boolean {
  switch (type) {
    case 'string': return typeof v === 'string';
    case 'int': return Number.isInteger(v);
    case 'bool': return typeof v === 'boolean';
    case 'object': case 'map': return isPlainObject(v);
    case 'list': return Array.isArray(v);
    case 'duration': return typeof v === 'string' && GO_DURATION.test(v);
  }
}

/** Problems of one document against its table; also records the paths it used. */
export function checkDocument(doc: Doc, tables: Readonly<Record<string, FieldTable>>, used?: Set<string>): string[] {
  const apiVersion = String(doc.apiVersion);
  const kind = String(doc.kind);
  const fields = tables[apiVersion]?.kinds[kind];
  if (!fields) return [`${apiVersion} ${kind}: no field table`];
  const problems: string[] = [];
  const visit = (path: string, value: unknown): void => {
    const type = fields[path];
    if (!type) {
      problems.push(`${apiVersion} ${kind}: ${path} is not a field of the upstream type`);
      return;
    }
    used?.add(`${apiVersion} ${kind} ${path}`);
    if (!typeOk(type, value)) problems.push(`${apiVersion} ${kind}: ${path} should be ${type}, is ${JSON.stringify(value)}`);
    if (Array.isArray(value)) value.forEach((item) => visit(`${path}[]`, item));
    else if (isPlainObject(value)) {
      for (const [k, v] of Object.entries(value)) visit(type === 'map' ? `${path}.*` : `${path}.${k}`, v);
    }
  };
  for (const [k, v] of Object.entries(doc)) {
    if (k !== 'apiVersion' && k !== 'kind') visit(k, v);
  }
  return problems;
}

/** Every kubeadm-read document every example profile delivers, in both API versions. */
function allDocuments(): { where: string; doc: Doc }[] {
  const out: { where: string; doc: Doc }[] = [];
  for (const profile of EXAMPLE_PROFILES) {
    for (const api of APIS) {
      const plan = planFor(profile, api);
      for (const node of plan.nodes) {
        for (const f of kubeadmFiles(plan, node)) {
          if (f.path === JOIN_WAIT_RBAC || f.path.endsWith('.conf')) continue; // RBAC for kubectl; a systemd drop-in
          for (const doc of parseStream(String(f.content))) out.push({ where: `${profile} ${api} ${node.name} ${f.path}`, doc });
        }
      }
    }
  }
  return out;
}

describe('kubeadm field table', () => {
  const docs = allDocuments();

  it('covers a document of every kind kubeseed writes', () => {
    const kinds = new Set(docs.map(({ doc }) => `${String(doc.apiVersion)} ${String(doc.kind)}`));
    expect([...kinds].sort()).toEqual([
      'kubeadm.k8s.io/v1beta3 ClusterConfiguration',
      'kubeadm.k8s.io/v1beta3 InitConfiguration',
      'kubeadm.k8s.io/v1beta3 JoinConfiguration',
      'kubeadm.k8s.io/v1beta4 ClusterConfiguration',
      'kubeadm.k8s.io/v1beta4 InitConfiguration',
      'kubeadm.k8s.io/v1beta4 JoinConfiguration',
      'kubelet.config.k8s.io/v1beta1 KubeletConfiguration',
      'kubeproxy.config.k8s.io/v1alpha1 KubeProxyConfiguration',
    ]);
  });

  it('holds every field path and type of every emitted document', () => {
    const problems = docs.flatMap(({ where, doc }) => checkDocument(doc, FIELD_TABLES).map((p) => `${where}: ${p}`));
    expect(problems).toEqual([]);
  });

  it('lists no field kubeseed does not write (the table is the list of what we emit)', () => {
    const used = new Set<string>();
    for (const { doc } of docs) checkDocument(doc, FIELD_TABLES, used);
    const listed = Object.values(FIELD_TABLES).flatMap((t) =>
      Object.entries(t.kinds).flatMap(([kind, fields]) => Object.keys(fields).map((p) => `${t.apiVersion} ${kind} ${p}`)));
    expect(listed.filter((p) => !used.has(p))).toEqual([]);
  });

  it('names the upstream file and commit of every table', () => {
    for (const t of Object.values(FIELD_TABLES)) {
      expect(t.sources.length).toBeGreaterThan(0);
      for (const s of t.sources) {
        expect(s.repo).toBe('kubernetes/kubernetes');
        expect(s.path).toMatch(/\.go$/);
        expect(s.commit).toMatch(/^[0-9a-f]{40}$/);
      }
    }
  });

  it('rejects a v1beta3-shaped map in a v1beta4 document, an unknown field and a wrong type', () => {
    const doc = {
      apiVersion: 'kubeadm.k8s.io/v1beta4',
      kind: 'JoinConfiguration',
      nodeRegistration: { name: 'w1', kubeletExtraArgs: { 'node-ip': '10.0.0.1' }, criSocket: 5 },
      discovery: { bootstrapToken: { token: 'abcdef.0123456789abcdef', unsafeSkipCAVerification: true } },
    };
    expect(checkDocument(doc, FIELD_TABLES)).toEqual([
      'kubeadm.k8s.io/v1beta4 JoinConfiguration: nodeRegistration.kubeletExtraArgs should be list, is {"node-ip":"10.0.0.1"}',
      'kubeadm.k8s.io/v1beta4 JoinConfiguration: nodeRegistration.kubeletExtraArgs.node-ip is not a field of the upstream type',
      'kubeadm.k8s.io/v1beta4 JoinConfiguration: nodeRegistration.criSocket should be string, is 5',
      'kubeadm.k8s.io/v1beta4 JoinConfiguration: discovery.bootstrapToken.unsafeSkipCAVerification is not a field of the upstream type',
    ]);
  });
});
